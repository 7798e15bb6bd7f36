"""`flux-minicluster diff`: what a pull request to a stack would do on `pulumi up`,
offline, from a git revision or a second stack file.

Each test edits a stack in a throwaway git repository the way a user would
(text edits of the YAML) and reads the command's output: the summary line of
each resource, the reasons, and the warnings.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, STACKS_DIR

from flux_minicluster.broker import fluxfacts
from flux_minicluster.cli import main, old_package

LAMMPS = "stacks/Pulumi.lammps-cpu.yaml"
COMMAND = Path(sys.executable).with_name("flux-minicluster")

# A stack on an existing cluster with a kept and a scratch volume, to vary below.
VOLUMES = """\
config:
  flux-minicluster:kubernetes:
    context: kind-flux
  flux-minicluster:miniCluster:
    name: hello
    namespace: hello
    size: 2
    maxSize: 4
    containers:
      - image: ghcr.io/converged-computing/flux-view-ubuntu:tag-noble
        volumes:
          results: {path: /results, claimName: results}
          scratch: {path: /scratch, claimName: scratch}
    dataVolumes:
      results:
        size: 10Gi
        storageClassName: standard-rwo
        accessMode: ReadWriteOnce
        keep: true
      scratch:
        size: 50Gi
        storageClassName: standard-rwo
        accessMode: ReadWriteOnce
"""


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository holding the project's stacks, committed, as the working folder."""
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copytree(STACKS_DIR, tmp_path / "stacks")
    (tmp_path / "stacks" / "Pulumi.volumes.yaml").write_text(VOLUMES)
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "stacks")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def edit(repo: Path, stack: str, old: str, new: str) -> None:
    path = repo / stack
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def scale(repo: Path, size: int) -> None:
    """The lammps-cpu stack on ``size`` brokers, its tasks (56 cores each) with it."""
    edit(repo, LAMMPS, "    size: 8\n", f"    size: {size}\n")
    edit(repo, LAMMPS, "    tasks: 448\n", f"    tasks: {56 * size}\n")


def run(capsys: pytest.CaptureFixture[str], *args: str, stdin: str = "") -> tuple[int, str, str]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("sys.stdin", io.StringIO(stdin))
        code = main(["diff", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def steps(out: str) -> dict[str, tuple[str, str]]:
    """Resource name -> (action, detail), read from the summary lines."""
    found = {}
    for line in out.splitlines():
        match = re.match(r"^\s+(\+-|[+~-]) (create|update|replace|delete)\s+\S+\s+(\S+)(?:\s+(.*))?$", line)
        if match:
            found[match.group(3)] = (match.group(2), match.group(4) or "")
    return found


def warnings(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("warning: ")]


def test_a_size_change_within_max_size_updates_only_the_size_patch(repo: Path, capsys) -> None:
    scale(repo, 6)
    code, out, err = run(capsys, "lammps-cpu", "--against", "HEAD")
    assert (code, err) == (0, "")
    assert steps(out) == {
        "experiment-size": ("update", "spec.parallelism, spec.completions"),
        "experiment-budget": ("update", "spec.minAvailable"),
    }
    # The ranks above the new size stop; the pool keeps its 8 nodes.
    assert warnings(out) == [
        "warning: ranks 6-7 (lammps-6, lammps-7) stop and leave the instance; jobs running on them are lost",
        "warning: 2 of the pool's 8 nodes run no broker at size 6 and keep billing until nodePool.nodeCount follows (6)",
    ]
    assert "2 to update; 6 unchanged" in out
    # The hunk names the object in its file names and shows the new count.
    assert "--- HEAD:stacks/Pulumi.lammps-cpu.yaml: kubernetes:batch/v1:JobPatch experiment-size" in out
    assert "+++ stacks/Pulumi.lammps-cpu.yaml: kubernetes:batch/v1:JobPatch experiment-size" in out
    assert "+  parallelism: 6" in out and "-  parallelism: 8" in out


def test_shrinking_the_pool_with_the_size_leaves_no_idle_nodes_and_growing_warns_of_nothing(repo: Path, capsys) -> None:
    scale(repo, 7)
    edit(repo, LAMMPS, "nodeCount: 8", "nodeCount: 7")
    code, out, err = run(capsys, "lammps-cpu", "--against", "HEAD", "--summary")
    assert (code, err) == (0, "")
    assert warnings(out) == ["warning: rank 7 (lammps-7) stops and leaves the instance; jobs running on it are lost"]
    git(repo, "commit", "-qam", "seven")
    edit(repo, LAMMPS, "    size: 7\n", "    size: 8\n")
    edit(repo, LAMMPS, "nodeCount: 7", "nodeCount: 8")
    code, out, _ = run(capsys, "lammps-cpu", "--against", "HEAD", "--summary")
    assert code == 0 and warnings(out) == []


def test_a_size_change_without_max_size_replaces_the_brokers_and_says_max_size_would_not(repo: Path, capsys) -> None:
    edit(repo, LAMMPS, "    maxSize: 8\n", "")
    git(repo, "commit", "-qam", "no maxSize")
    scale(repo, 6)
    code, out, err = run(capsys, "lammps-cpu", "--against", "HEAD", "--summary")
    assert (code, err) == (0, "")
    assert steps(out)["experiment-job"][0] == "replace"
    assert warnings(out) == [
        "warning: the running Flux instance is stopped and its jobs are lost: "
        "experiment-job is replaced (experiment-flux-config is replaced)",
        "warning: size 8 -> 6 replaces the brokers because maxSize follows size; "
        "with maxSize: 8 (or more) in the stack, size changes up to it scale the running instance in place",
        "warning: 2 of the pool's 8 nodes run no broker at size 6 and keep billing until nodePool.nodeCount follows (6)",
    ]


def test_a_new_image_replaces_the_brokers_and_warns_that_the_instance_stops(repo: Path, capsys) -> None:
    edit(repo, LAMMPS, "metric-lammps:latest", "metric-lammps:v2")
    code, out, _ = run(capsys, "lammps-cpu", "--against", "HEAD", "--summary")
    assert code == 0
    assert steps(out) == {
        # The ConfigMap holds the Job's digest: it is the instance's root, replaced with its Job.
        "experiment-flux-config": ("replace", 'because data["instance.json"]'),
        "experiment-job": (
            "replace",
            "because spec.template.spec.containers[0].image, experiment-flux-config is replaced",
        ),
        "experiment-size": ("replace", "because experiment-job is replaced"),
        "experiment-budget": ("replace", "because experiment-job is replaced"),
    }
    assert warnings(out) == [
        "warning: the running Flux instance is stopped and its jobs are lost: experiment-job is replaced "
        "(spec.template.spec.containers[0].image, experiment-flux-config is replaced)"
    ]
    assert "---" not in out  # --summary: no hunks


def test_a_new_broker_config_replaces_the_config_and_the_brokers_with_it(repo: Path, capsys) -> None:
    edit(repo, LAMMPS, "queuePolicy: fcfs", "queuePolicy: easy")
    code, out, err = run(capsys, "lammps-cpu", "--against", "HEAD", "--summary")
    assert (code, err) == (0, "")
    found = steps(out)
    assert found["experiment-flux-config"] == ("replace", 'because data["broker.toml"]')
    assert found["experiment-job"][0] == "replace"
    assert "experiment-flux-config is replaced" in found["experiment-job"][1]
    assert any("Flux instance is stopped" in w for w in warnings(out))


def test_a_new_machine_type_replaces_the_pool_and_the_brokers_on_it(repo: Path, capsys) -> None:
    edit(repo, LAMMPS, "machineType: c2d-standard-112", "machineType: c2d-standard-56")
    edit(repo, LAMMPS, "tasks: 448", "tasks: 224")
    code, out, err = run(capsys, "lammps-cpu", "--against", "HEAD", "--summary")
    assert (code, err) == (0, "")
    found = steps(out)
    assert found["experiment-node-pool"] == ("replace", "because node_config.machine_type")
    assert found["experiment-flux-config"] == ("replace", "because experiment-node-pool is replaced")
    assert found["experiment-job"] == ("replace", "because experiment-flux-config is replaced")
    # One event, one line: the pool takes the brokers with it.
    assert warnings(out) == [
        "warning: the running Flux instance is stopped and its jobs are lost: experiment-node-pool is replaced "
        "(node_config.machine_type), and experiment-job with it"
    ]


@pytest.mark.parametrize(
    ("committed", "old", "new", "path"),
    [
        # TIER_1 needs gVNIC: the stack as committed leaves the default tier.
        (
            ("egressBandwidthTier: TIER_1", "egressBandwidthTier: DEFAULT"),
            "gvnic: true",
            "gvnic: false",
            "node_config.gvnic.enabled",
        ),
        (
            ("    gvnic: true\n", "    gvnic: true\n    cpuManagerPolicy: static\n"),
            "cpuManagerPolicy: static",
            "cpuManagerPolicy: none",
            "node_config.kubelet_config.cpu_manager_policy",
        ),
    ],
)
def test_a_node_setting_gke_applies_by_recreating_nodes_replaces_the_pool(
    repo: Path, capsys, committed: tuple[str, str], old: str, new: str, path: str
) -> None:
    edit(repo, LAMMPS, *committed)
    git(repo, "commit", "-qam", "the stack before")
    edit(repo, LAMMPS, old, new)
    code, out, err = run(capsys, "lammps-cpu", "--against", "HEAD", "--summary")
    assert (code, err) == (0, ""), err
    found = steps(out)
    assert found["experiment-node-pool"] == ("replace", f"because {path}")
    assert found["experiment-job"] == ("replace", "because experiment-flux-config is replaced")


def test_new_pool_labels_update_the_pool_in_place(repo: Path, capsys) -> None:
    edit(repo, LAMMPS, "experiment: lammps-reaxff", "experiment: lammps-reaxff-2")
    code, out, err = run(capsys, "lammps-cpu", "--against", "HEAD", "--summary")
    assert (code, err) == (0, "")
    assert steps(out) == {"experiment-node-pool": ("update", "node_config.labels.experiment")}
    assert warnings(out) == []


def test_turning_off_compact_placement_replaces_the_pool_and_the_brokers_on_it(repo: Path, capsys) -> None:
    edit(repo, LAMMPS, "    compactPlacement: true\n", "    compactPlacement: false\n")
    code, out, err = run(capsys, "lammps-cpu", "--against", "HEAD", "--summary")
    assert (code, err) == (0, "")
    found = steps(out)
    assert found["experiment-node-pool"] == ("replace", "because placement_policy")
    assert found["experiment-flux-config"] == ("replace", "because experiment-node-pool is replaced")
    assert found["experiment-job"] == ("replace", "because experiment-flux-config is replaced")
    assert any("Flux instance is stopped" in w for w in warnings(out))


def test_a_new_storage_class_recreates_a_scratch_volume_and_warns_of_its_data(repo: Path, capsys) -> None:
    stack = "stacks/Pulumi.volumes.yaml"
    edit(
        repo,
        stack,
        "size: 50Gi\n        storageClassName: standard-rwo",
        "size: 50Gi\n        storageClassName: premium-rwo",
    )
    code, out, err = run(capsys, "volumes", "--against", "HEAD", "--summary")
    assert (code, err) == (0, "")
    found = steps(out)
    assert found["experiment-data-scratch"] == ("replace", "because spec.storageClassName")
    # The brokers that hold the claim go first: the claim is not left Terminating under them.
    assert found["experiment-flux-config"] == ("replace", "because experiment-data-scratch is replaced")
    assert found["experiment-job"] == ("replace", "because experiment-flux-config is replaced")
    assert "warning: the data on volume experiment-data-scratch is lost: experiment-data-scratch is replaced" in out


def test_a_kept_volume_that_would_be_replaced_is_called_out(repo: Path, capsys) -> None:
    stack = "stacks/Pulumi.volumes.yaml"
    edit(
        repo,
        stack,
        "size: 10Gi\n        storageClassName: standard-rwo",
        "size: 10Gi\n        storageClassName: premium-rwo",
    )
    code, out, err = run(capsys, "volumes", "--against", "HEAD", "--summary")
    assert (code, err) == (0, "")
    assert steps(out)["experiment-data-results"] == ("replace", "because spec.storageClassName")
    assert [w for w in warnings(out) if "experiment-data-results" in w] == [
        "warning: experiment-data-results is replaced (spec.storageClassName), but it is kept on delete: "
        "Pulumi lets go of the old claim and cannot create the new one while it exists; "
        "rename the volume or delete the claim first"
    ]


def test_a_removed_volume_is_deleted_with_its_data(repo: Path, capsys) -> None:
    stack = "stacks/Pulumi.volumes.yaml"
    text = (repo / stack).read_text()
    text = text.replace("          scratch: {path: /scratch, claimName: scratch}\n", "")
    (repo / stack).write_text(text[: text.index("      scratch:")])
    code, out, err = run(capsys, "volumes", "--against", "HEAD", "--summary")
    assert (code, err) == (0, "")
    assert steps(out)["experiment-data-scratch"] == ("delete", "")
    assert [w for w in warnings(out) if "scratch" in w] == [
        "warning: the data on volume experiment-data-scratch is lost: experiment-data-scratch is deleted"
    ]
    # The brokers no longer mount it: a new pod template, a new instance.
    assert steps(out)["experiment-job"][0] == "replace"
    assert "  4 to replace, 1 to delete; 4 unchanged" in out.splitlines()


def test_a_new_encrypted_certificate_replaces_the_secret_and_the_brokers(repo: Path, capsys) -> None:
    stack = "stacks/Pulumi.volumes.yaml"
    edit(repo, stack, "config:\n", "config:\n  flux-minicluster:curveCertificate:\n    secure: v1:AAAA\n")
    git(repo, "commit", "-q", "-am", "own certificate")
    edit(repo, stack, "secure: v1:AAAA", "secure: v1:BBBB")
    code, out, err = run(capsys, "volumes", "--against", "HEAD", "--summary")
    assert (code, err) == (0, "")
    found = steps(out)
    assert found["experiment-curve-cert"][0] == "replace"
    assert found["experiment-curve-cert"][1].startswith("because stringData")
    assert found["experiment-flux-config"] == ("replace", "because experiment-curve-cert is replaced")
    assert found["experiment-job"] == ("replace", "because experiment-flux-config is replaced")
    # Only a digest of the ciphertext is compared; neither ciphertext is printed.
    full, _, _ = (main(["diff", "volumes", "--against", "HEAD"]), None, None)
    printed = capsys.readouterr().out
    assert full == 0 and "v1:AAAA" not in printed and "v1:BBBB" not in printed
    assert "ciphertext sha256" in printed


def test_no_change_says_so_and_exit_code_tells_changes_apart(repo: Path, capsys) -> None:
    code, out, _ = run(capsys, "lammps-cpu", "--against", "HEAD", "--exit-code")
    assert code == 0 and "no changes; 8 unchanged" in out
    scale(repo, 7)
    code, _, _ = run(capsys, "lammps-cpu", "--against", "HEAD", "--exit-code")
    assert code == 1
    code, _, _ = run(capsys, "lammps-cpu", "--against", "HEAD")
    assert code == 0


def test_against_a_second_stack_file(repo: Path, capsys) -> None:
    code, out, _ = run(capsys, "stacks/Pulumi.kind-local.yaml", "--against", LAMMPS, "--summary")
    assert code == 0
    found = steps(out)
    assert found["experiment-node-pool"] == ("delete", "")
    assert found["experiment-namespace"] == ("replace", "because metadata.name")
    # The namespace that goes is the old one, with everything in it.
    assert "warning: everything in namespace lammps is deleted: experiment-namespace is replaced" in out
    assert "Resources (stacks/Pulumi.lammps-cpu.yaml -> stacks/Pulumi.kind-local.yaml)" in out


def test_a_stack_new_since_the_revision_is_created_whole(repo: Path, capsys) -> None:
    shutil.copy(repo / LAMMPS, repo / "stacks" / "Pulumi.new.yaml")
    code, out, _ = run(capsys, "new", "--against", "HEAD", "--summary")
    assert code == 0
    assert "is not in HEAD: every resource is created" in out
    assert {action for action, _ in steps(out).values()} == {"create"}
    assert "8 to create; 0 unchanged" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["lammps-cpu", "--against", "no-such-branch"],
            "--against no-such-branch: neither a stack file nor a git revision",
        ),
        (["-", "--against", "HEAD"], "a stack read from standard input has no git history"),
    ],
)
def test_what_cannot_be_compared_is_one_line_and_exit_2(repo: Path, capsys, args: list[str], message: str) -> None:
    code, out, err = run(capsys, *args, stdin=VOLUMES)
    assert code == 2 and out == ""
    assert err.splitlines() == [next(line for line in err.splitlines() if message in line)]


def test_outside_a_git_repository_a_revision_is_refused(tmp_path: Path, monkeypatch, capsys) -> None:
    shutil.copy(STACKS_DIR / "Pulumi.lammps-cpu.yaml", tmp_path / "Pulumi.x.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    code, out, err = run(capsys, "Pulumi.x.yaml", "--against", "HEAD")
    assert code == 2 and out == ""
    assert err == "Pulumi.x.yaml: not in a git repository; give --against a stack file instead of a revision\n"


def test_an_invalid_stack_at_the_revision_is_reported_at_its_revision_and_line(repo: Path, capsys) -> None:
    edit(repo, LAMMPS, "    size: 8\n", "    size: -1\n")
    git(repo, "commit", "-q", "-am", "broken")
    edit(repo, LAMMPS, "    size: -1\n", "    size: 8\n")
    code, out, err = run(capsys, "lammps-cpu", "--against", "HEAD")
    line = next(n for n, text in enumerate((repo / LAMMPS).read_text().splitlines(), 1) if "    size: 8" in text)
    assert code == 2 and out == ""
    assert err.startswith(f"HEAD:stacks/Pulumi.lammps-cpu.yaml:{line}: miniCluster.size: ")


def test_the_work_tree_is_left_as_it_was(repo: Path, capsys) -> None:
    scale(repo, 6)
    before = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True).stdout
    run(capsys, "lammps-cpu", "--against", "HEAD")
    after = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True).stdout
    assert before == after == " M stacks/Pulumi.lammps-cpu.yaml\n"
    assert "    size: 6\n" in (repo / LAMMPS).read_text()


def test_the_readme_example_is_what_the_command_prints(repo: Path, capsys) -> None:
    readme = (ROOT / "README.md").read_text()
    start = readme.index("$ flux-minicluster diff lammps-cpu --against HEAD\n")
    shown = readme[start : readme.index("```", start)].split("\n", 1)[1]
    edit(repo, LAMMPS, "metric-lammps:latest", "metric-lammps:v2")
    code, out, _ = run(capsys, "lammps-cpu", "--against", "HEAD")
    assert code == 0
    assert out == shown


WORKFLOW = ROOT / "examples" / "github-actions" / "pulumi-preview.yml"
SAME_REPOSITORY = "github.event.pull_request.head.repo.full_name == github.repository"


def workflow_step(job: str, text: str) -> dict[str, Any]:
    jobs = yaml.safe_load(WORKFLOW.read_text())["jobs"]
    [step] = [step for step in jobs[job]["steps"] if text in step.get("run", "")]
    return step


def run_step(repo: Path, script: str, path: str = "") -> dict[str, str]:
    """Run a workflow step's script as GitHub's default shell does (bash -e,
    no pipefail), with the GitHub expressions filled in; returns its outputs
    and its job summary."""
    script = script.replace("${{ github.base_ref }}", "main").replace(".venv/bin/flux-minicluster", str(COMMAND))
    output, summary = repo / "github-output", repo / "github-summary"
    output.write_text("")
    summary.write_text("")
    env = {**os.environ, "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)}
    if path:
        env["PATH"] = f"{path}:{env['PATH']}"
    subprocess.run(["bash", "-e", "-c", script], cwd=repo, check=True, capture_output=True, timeout=120, env=env)
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return {**outputs, "summary": summary.read_text()}


def pull_request(repo: Path) -> None:
    """The repository as a workflow on a pull request sees it: the base as origin/main."""
    git(repo, "branch", "-M", "main")
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    git(repo, "checkout", "-q", "-b", "pull-request")


def test_the_workflow_diff_job_needs_no_secrets_and_comments_the_diff(repo: Path) -> None:
    """The workflow's diff step, run as written on a pull request branch."""
    job = yaml.safe_load(WORKFLOW.read_text())["jobs"]["diff"]
    assert "secrets." not in yaml.safe_dump(job)
    assert "-e ." in " ".join(step.get("run", "") for step in job["steps"])  # the light install
    pull_request(repo)
    edit(repo, LAMMPS, "metric-lammps:latest", "metric-lammps:v2")
    git(repo, "commit", "-q", "-am", "new image")
    outputs = run_step(repo, workflow_step("diff", "flux-minicluster diff")["run"])
    comment = (repo / "diff.md").read_text()
    assert comment.startswith("### `flux-minicluster diff stacks/Pulumi.lammps-cpu.yaml --against origin/main`\n")
    assert re.search(r"\+- replace\s+kubernetes:batch/v1:Job\s+experiment-job", comment), comment
    assert "warning: the running Flux instance is stopped" in comment
    assert outputs == {"failed": "false", "summary": comment}


def test_a_fork_s_pull_request_gets_the_report_as_a_summary_and_no_comment_or_preview() -> None:
    jobs = yaml.safe_load(WORKFLOW.read_text())["jobs"]
    for job, comment in (("diff", "flux-minicluster-diff"), ("preview", "pulumi-preview")):
        [step] = [s for s in jobs[job]["steps"] if s.get("with", {}).get("header") == comment]
        assert jobs[job].get("if") == SAME_REPOSITORY or step.get("if") == SAME_REPOSITORY
    # The fork's token is read-only and it has no secrets: no preview at all.
    assert jobs["preview"]["if"] == SAME_REPOSITORY
    assert "if" not in jobs["diff"]


def test_an_invalid_stack_s_error_reaches_the_report_and_fails_the_job(repo: Path) -> None:
    pull_request(repo)
    edit(repo, LAMMPS, "    size: 8\n", "    size: -1\n")
    git(repo, "commit", "-q", "-am", "broken")
    outputs = run_step(repo, workflow_step("diff", "flux-minicluster diff")["run"])
    comment = (repo / "diff.md").read_text()
    assert "**Failed (exit 2): the error is below" in comment
    assert "stacks/Pulumi.lammps-cpu.yaml:" in comment and "miniCluster.size: " in comment
    assert outputs["failed"] == "true" and outputs["summary"] == comment
    # The last step fails the job, after the report is posted.
    jobs = yaml.safe_load(WORKFLOW.read_text())["jobs"]
    last = jobs["diff"]["steps"][-1]
    assert last["if"] == "steps.diff.outputs.failed == 'true'" and "exit 1" in last["run"]


def test_a_stack_new_in_the_pull_request_is_diffed_whole_and_previewed_if_it_exists(
    repo: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    pull_request(repo)
    shutil.copy(repo / LAMMPS, repo / "stacks" / "Pulumi.fresh.yaml")
    shutil.copy(repo / LAMMPS, repo / "stacks" / "Pulumi.known.yaml")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "two new stacks")
    run_step(repo, workflow_step("diff", "flux-minicluster diff")["run"])
    comment = (repo / "diff.md").read_text()
    assert "stacks/Pulumi.fresh.yaml is not in origin/main: every resource is created" in comment
    # The preview job, with a stand-in pulumi: "known" exists in the backend, "fresh" does not.
    bin_dir = tmp_path_factory.mktemp("bin")
    pulumi = bin_dir / "pulumi"
    pulumi.write_text(
        "#!/bin/sh\n"
        'if [ "$1 $2" = "stack select" ]; then [ "$3" = known ]; exit $?; fi\n'
        'if [ "$1" = preview ]; then echo "+ 8 to create"; exit 0; fi\n'
        "exit 3\n"
    )
    pulumi.chmod(0o755)
    names = run_step(repo, workflow_step("preview", "sed -E")["run"])["names"]
    assert sorted(names.split()) == ["fresh", "known"]
    script = workflow_step("preview", "pulumi preview")["run"].replace("${{ steps.stacks.outputs.names }}", names)
    outputs = run_step(repo, script, path=str(bin_dir))
    report = (repo / "preview.md").read_text()
    assert "Stack `fresh` is not in the Pulumi backend yet: `pulumi stack init fresh` creates it" in report
    assert "### `pulumi preview --stack known`\n```diff\n+ 8 to create\n```" in report
    assert outputs["failed"] == "false"


def test_with_the_operator_a_size_change_updates_the_minicluster_and_a_flux_option_replaces_it(
    repo: Path, capsys
) -> None:
    edit(repo, LAMMPS, "    interactive: true\n", "    interactive: true\n    backend: operator\n")
    git(repo, "commit", "-q", "-am", "operator backend")
    scale(repo, 6)
    code, out, err = run(capsys, "lammps-cpu", "--against", "HEAD", "--summary")
    assert (code, err) == (0, "")
    assert steps(out) == {"experiment-minicluster": ("update", "spec.size")}
    assert warnings(out) == [
        "warning: ranks 6-7 (lammps-6, lammps-7) stop and leave the instance; jobs running on them are lost",
        "warning: 2 of the pool's 8 nodes run no broker at size 6 and keep billing until nodePool.nodeCount follows (6)",
    ]
    edit(repo, LAMMPS, "queuePolicy: fcfs", "queuePolicy: easy")
    _, out, _ = run(capsys, "lammps-cpu", "--against", "HEAD", "--summary")
    action, detail = steps(out)["experiment-minicluster"]
    assert action == "replace" and detail.startswith("because spec.flux.")
    assert any("Flux instance is stopped" in w for w in warnings(out))


def test_the_revision_is_read_from_the_stacks_repository_wherever_the_command_runs(
    repo: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    monkeypatch.chdir(elsewhere)  # outside any git repository
    scale(repo, 6)
    code, out, err = run(capsys, str(repo / LAMMPS), "--against", "HEAD", "--summary")
    assert (code, err) == (0, "")
    assert steps(out)["experiment-size"][0] == "update"


def test_without_git_a_revision_is_refused_and_a_file_still_works(
    repo: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path_factory.mktemp("no-git")))
    code, out, err = run(capsys, "lammps-cpu", "--against", "HEAD")
    assert (code, out) == (2, "")
    assert err == "--against HEAD: git is not installed; give a stack file to compare with\n"
    code, out, err = run(capsys, "lammps-cpu", "--against", LAMMPS, "--summary")
    assert (code, err) == (0, "") and "no changes; 8 unchanged" in out


# The package's own source in the stacks' repository, as in this project or a
# program that vendors it; the old default view image is what the revision had.
NEW_VIEW = fluxfacts.DEFAULT_FLUX_VIEW_IMAGE
OLD_VIEW = "ghcr.io/converged-computing/flux-view-ubuntu:tag-jammy"


def copy_package(into: Path, *, view: str = NEW_VIEW) -> None:
    shutil.copytree(ROOT / "flux_minicluster", into, ignore=shutil.ignore_patterns("__pycache__"), dirs_exist_ok=True)
    facts = into / "broker" / "fluxfacts.py"
    facts.write_text(facts.read_text().replace(f'"{NEW_VIEW}"', f'"{view}"'))


@pytest.mark.parametrize("inside", ["flux_minicluster", "vendor/flux_minicluster"])
def test_a_commit_that_changes_only_a_package_default_shows_what_it_changes_and_replaces(
    repo: Path, capsys, monkeypatch: pytest.MonkeyPatch, inside: str
) -> None:
    copy_package(repo / inside, view=OLD_VIEW)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the package with its old default")
    copy_package(repo / inside)  # the package as installed: only the default differs
    git(repo, "commit", "-q", "-am", "a new default view image")
    if inside == "flux_minicluster":  # as in this project: the package runs from the repository
        monkeypatch.setattr(old_package, "__file__", str(repo / inside / "cli" / "old_package.py"))
    code, out, err = run(capsys, "lammps-cpu", "--against", "HEAD~1")
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == (
        f"rendered: the old side by the package at HEAD~1 ({inside}/), "
        "the new side by the installed flux-minicluster " + metadata.version("flux-minicluster")
    )
    assert f"-        image: {OLD_VIEW}" in out and f"+        image: {NEW_VIEW}" in out
    action, because = steps(out)["experiment-job"]
    assert action == "replace" and "spec.template.spec.initContainers[0].image" in because
    assert any("Flux instance is stopped" in w for w in warnings(out))
    # Against the commit with the same package, nothing changes.
    code, out, _ = run(capsys, "lammps-cpu", "--against", "HEAD", "--summary")
    assert code == 0 and "no changes; 8 unchanged" in out


def test_a_package_too_old_to_render_for_a_diff_is_named_and_both_sides_use_the_installed_one(
    repo: Path, capsys
) -> None:
    copy_package(repo / "flux_minicluster", view=OLD_VIEW)
    (repo / "flux_minicluster" / "cli" / "comparison.py").unlink()
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "an older package")
    code, out, err = run(capsys, "lammps-cpu", "--against", "HEAD", "--summary")
    assert (code, err) == (0, "")
    assert out.splitlines()[0].startswith("rendered: both sides by the installed flux-minicluster ")
    assert "the package at HEAD (flux_minicluster/) is too old to render for a diff" in out
    assert "no changes; 8 unchanged" in out


def test_old_package_names_the_version_that_renders_the_old_side(repo: Path, tmp_path_factory, capsys) -> None:
    folder = tmp_path_factory.mktemp("old")
    copy_package(folder / "flux_minicluster", view=OLD_VIEW)  # as pip install --target leaves it
    code, out, err = run(capsys, "lammps-cpu", "--against", LAMMPS, "--old-package", str(folder), "--summary")
    assert (code, err) == (0, "")
    assert out.splitlines()[0].startswith(f"rendered: the old side by the package in {folder}, the new side by ")
    assert steps(out)["experiment-job"][0] == "replace"
    # The same folder for the old side at a revision; HEAD holds no package here.
    code, out, _ = run(capsys, "lammps-cpu", "--against", "HEAD", "--old-package", str(folder), "--summary")
    assert code == 0 and steps(out)["experiment-job"][0] == "replace"


def test_an_old_package_that_cannot_render_is_one_line_and_exit_2(repo: Path, tmp_path_factory, capsys) -> None:
    empty = tmp_path_factory.mktemp("empty")
    code, out, err = run(capsys, "lammps-cpu", "--against", "HEAD", "--old-package", str(empty))
    assert (code, out) == (2, "")
    assert (
        err
        == f"--old-package {empty}: holds no flux_minicluster/ package; give a folder made by pip install --target FOLDER flux-minicluster==VERSION\n"
    )
    broken = tmp_path_factory.mktemp("broken")
    copy_package(broken / "flux_minicluster")
    (broken / "flux_minicluster" / "spec" / "__init__.py").write_text('raise ImportError("broken on purpose")\n')
    code, out, err = run(capsys, "lammps-cpu", "--against", "HEAD", "--old-package", str(broken))
    assert (code, out) == (2, "")
    assert (
        err.startswith(f"the package in {broken}: failed to render the old side: ImportError: broken on purpose")
        and err.count("\n") == 1
    )


def test_the_old_package_is_copied_out_of_git_and_leaves_no_trace(repo: Path, capsys, monkeypatch) -> None:
    copy_package(repo / "flux_minicluster", view=OLD_VIEW)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "package")
    copy_package(repo / "flux_minicluster")
    scratch = repo.parent / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    tempfile.tempdir = None  # read TMPDIR again
    try:
        before = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True).stdout
        code, _, _ = run(capsys, "lammps-cpu", "--against", "HEAD", "--summary")
        after = subprocess.run(["git", "status", "--porcelain"], cwd=repo, capture_output=True, text=True).stdout
    finally:
        tempfile.tempdir = None
    assert code == 0 and before == after == " M flux_minicluster/broker/fluxfacts.py\n"
    assert list(scratch.iterdir()) == [] and not (repo / ".git" / "worktrees").exists()

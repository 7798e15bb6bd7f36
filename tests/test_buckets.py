"""Results in a Cloud Storage bucket: what a stack may say, and what pulumi up asks GCP and Kubernetes for.

A bucket data volume is mounted in every pod by GKE's Cloud Storage FUSE CSI
driver; the pods run as a Kubernetes service account of their own, which
Workload Identity lets use that one bucket. The tests vary the defaults: a
pod user and group, a bucket the stack does not create, read-only mounts.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import CPU_CONFIG
from test_day_two_registration import register

from flux_minicluster import FluxMiniCluster, SpecError, load_spec
from flux_minicluster.catalog.buckets import bucket_name_problems
from flux_minicluster.cli import main
from flux_minicluster.cli.render import rendered_resources
from flux_minicluster.testing import RecordingMocks, run_under_mocks

BUCKET = "gcp:storage/bucket:Bucket"
MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
JOB = "kubernetes:batch/v1:Job"


def with_bucket(**bucket: Any) -> dict[str, Any]:
    """The CPU experiment, writing to a bucket at /results, as user 1000 of group 2000."""
    config = copy.deepcopy(CPU_CONFIG)
    config["nodePool"]["cluster"] = "projects/hpc-lab/locations/us-central1-a/clusters/hpc"
    mc = config["miniCluster"]
    mc["namespace"] = "md-runs"
    mc["pod"] = {"runAsUser": 1000, "runAsGroup": 2000}
    mc["dataVolumes"] = {"results": {"bucket": {"name": "hpc-lab-results", **bucket}}}
    mc["containers"][0]["volumes"] = {"out": {"path": "/results", "dataVolume": "results"}}
    return config


def problems(config: dict[str, Any]) -> list[str]:
    with pytest.raises(SpecError) as raised:
        load_spec(config)
    return [f"{p.path}: {p.message}" for p in raised.value.problems]


def pod_spec(body: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = body["spec"]["template"]["spec"]
    return spec


# -- what a stack may say ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("ab", "3 to 63"),
        ("Results", "lowercase"),
        ("-results", "starting and ending"),
        ("results_", "starting and ending"),
        ("a" * 64, "3 to 63"),
        ("goog-results", "starts with 'goog'"),
        ("my-google-data", "'google' or a look-alike"),
        ("my-g00gle-data", "'google' or a look-alike"),
        ("192.168.1.10", "IP address"),
        ("results..example.com", "each part between dots"),
        ("x" * 64 + ".example.com", "each part between dots"),
    ],
)
def test_cloud_storage_naming_rules_are_checked_offline(name: str, reason: str) -> None:
    config = with_bucket()
    config["miniCluster"]["dataVolumes"]["results"]["bucket"]["name"] = name
    (problem,) = problems(config)
    assert problem.startswith("miniCluster.dataVolumes.results.bucket.name: ")
    assert reason in problem


@pytest.mark.parametrize("name", ["abc", "hpc_lab-results-2026", "results.example.com", "a" * 63])
def test_valid_bucket_names_pass(name: str) -> None:
    assert bucket_name_problems(name) == []


def test_a_bucket_needs_the_node_pools_cluster() -> None:
    config = with_bucket()
    del config["nodePool"]
    assert problems(config) == [
        "miniCluster.dataVolumes.results.bucket: a bucket is mounted by GKE's Cloud Storage FUSE driver and "
        "reached through the cluster's Workload Identity; declare nodePool (its cluster)"
    ]


def test_a_bucket_needs_the_native_backend() -> None:
    config = with_bucket()
    config["miniCluster"]["backend"] = "operator"
    config["miniCluster"]["pod"] = {}
    assert problems(config) == [
        "miniCluster.dataVolumes.results.bucket: the operator's MiniCluster has no CSI volumes; "
        "mount a bucket with backend: native"
    ]


def test_a_bucket_is_mounted_as_a_data_volume_not_a_claim() -> None:
    config = with_bucket()
    config["miniCluster"]["containers"][0]["volumes"] = {"out": {"path": "/results", "claimName": "results"}}
    assert problems(config) == [
        "miniCluster.containers[0].volumes.out.claimName: results is a bucket, not a claim; "
        "mount it with dataVolume: results"
    ]


def test_a_data_volume_mount_names_one_of_the_data_volumes() -> None:
    config = with_bucket()
    config["miniCluster"]["containers"][0]["volumes"]["typo"] = {"path": "/typo", "dataVolume": "resluts"}
    assert problems(config) == [
        "miniCluster.containers[0].volumes.typo.dataVolume: 'resluts' is not one of dataVolumes (results)"
    ]


def test_an_unmounted_bucket_is_refused() -> None:
    config = with_bucket()
    config["miniCluster"]["containers"][0]["volumes"] = {}
    assert problems(config) == [
        "miniCluster.dataVolumes.results: no container mounts it; add a volume with dataVolume: results"
    ]


@pytest.mark.parametrize(
    ("volume", "message"),
    [
        (
            {"size": "1Ti", "bucket": {"name": "abc"}},
            "dataVolumes.results: needs exactly one of size (a claim) and bucket",
        ),
        ({}, "dataVolumes.results: needs exactly one of size (a claim) and bucket"),
        (
            {"bucket": {"name": "abc"}, "storageClassName": "standard-rwx"},
            "dataVolumes.results.storageClassName: a claim's setting; a bucket has none",
        ),
        (
            {"bucket": {"name": "abc"}, "accessMode": "ReadWriteOnce"},
            "dataVolumes.results.accessMode: a claim's setting; a bucket has none",
        ),
        (
            {"bucket": {"name": "abc", "create": False}, "keep": False},
            "dataVolumes.results.keep: the stack never deletes a bucket it did not create (create: false)",
        ),
        (
            {"bucket": {"name": "abc", "create": False, "location": "US"}},
            "dataVolumes.results.bucket.location: only for a bucket this stack creates (create: true)",
        ),
        (
            {"bucket": {"name": "abc", "mountOptions": ["uid=0"]}},
            "dataVolumes.results.bucket.mountOptions[0]: 'uid=0': uid follows the pod's runAsUser and fsGroup",
        ),
        (
            {"bucket": {"name": "abc", "mountOptions": ["implicit-dirs,ro"]}},
            "dataVolumes.results.bucket.mountOptions[0]: 'implicit-dirs,ro': one option per entry",
        ),
    ],
)
def test_bucket_settings_that_cannot_work_are_refused(volume: dict[str, Any], message: str) -> None:
    config = with_bucket()
    config["miniCluster"]["dataVolumes"]["results"] = volume
    (problem,) = problems(config)
    assert problem.startswith(f"miniCluster.{message}"), problem


def test_the_pool_runs_the_metadata_server_that_workload_identity_needs() -> None:
    assert load_spec(with_bucket()).node_pool.workload_identity is True  # type: ignore[union-attr]
    assert load_spec(copy.deepcopy(CPU_CONFIG)).node_pool.workload_identity is None  # type: ignore[union-attr]
    config = with_bucket()
    config["nodePool"]["workloadIdentity"] = False
    (problem,) = problems(config)
    assert problem.startswith("nodePool.workloadIdentity: pods reach the bucket of dataVolumes.results")


def test_the_fuse_sidecar_must_fit_on_the_node_too() -> None:
    # c2d-standard-112 with SMT off: 56 CPUs, of which GKE leaves 55.79 to pods (kube-reserved).
    config = copy.deepcopy(CPU_CONFIG)
    config["nodePool"]["threadsPerCore"] = 1
    config["miniCluster"]["containers"][0]["resources"] = {"requests": {"cpu": "55.6"}}
    load_spec(config)  # fits without a sidecar
    config["nodePool"]["cluster"] = "projects/hpc-lab/locations/us-central1-a/clusters/hpc"
    config["miniCluster"]["dataVolumes"] = {"results": {"bucket": {"name": "hpc-lab-results"}}}
    config["miniCluster"]["containers"][0]["volumes"] = {"out": {"path": "/results", "dataVolume": "results"}}
    (problem,) = problems(config)
    assert problem.startswith(
        "miniCluster.containers[0].resources.requests.cpu: c2d-standard-112 with threadsPerCore 1"
    )
    assert problem.endswith("the pod asks 55.85, with the Cloud Storage FUSE sidecar's 250m")
    # A smaller sidecar, by the driver's own annotation, fits.
    config["miniCluster"]["pod"] = {"annotations": {"gke-gcsfuse/cpu-request": "100m"}}
    load_spec(config)
    config["miniCluster"]["pod"] = {"annotations": {"gke-gcsfuse/cpu-request": "a lot"}}
    assert problems(config)[0].startswith("miniCluster.pod.annotations.gke-gcsfuse/cpu-request: 'a lot'")


def test_turning_the_driver_off_on_the_pods_is_refused() -> None:
    config = with_bucket()
    config["miniCluster"]["pod"]["annotations"] = {"gke-gcsfuse/volumes": "false"}
    (problem,) = problems(config)
    assert problem.startswith("miniCluster.pod.annotations.gke-gcsfuse/volumes: 'false' turns off")


# -- what pulumi up registers ---------------------------------------------------------------------


def test_the_stack_creates_a_private_bucket_next_to_the_brokers_and_keeps_it() -> None:
    found = register(lambda: FluxMiniCluster("md", with_bucket()))
    (bucket,) = [r for r in found.values() if r.typ == BUCKET]
    assert bucket.name == "md-bucket-hpc-lab-results"
    assert bucket.inputs["name"] == "hpc-lab-results"
    assert bucket.inputs["location"] == "US-CENTRAL1"  # the pool's region
    assert bucket.inputs["project"] == "hpc-lab"  # the cluster id's project
    assert bucket.inputs["uniformBucketLevelAccess"] is True
    assert bucket.inputs["publicAccessPrevention"] == "enforced"
    assert bucket.inputs["forceDestroy"] is False
    # pulumi destroy forgets it, with its data, rather than deleting it.
    assert bucket.options.retain_on_delete is True
    assert bucket.options.delete_before_replace is True


def test_keep_false_deletes_the_bucket_and_its_objects_with_the_stack() -> None:
    config = with_bucket()
    config["miniCluster"]["dataVolumes"]["results"]["keep"] = False
    found = register(lambda: FluxMiniCluster("md", config))
    (bucket,) = [r for r in found.values() if r.typ == BUCKET]
    assert bucket.inputs["forceDestroy"] is True
    assert not bucket.options.retain_on_delete


def test_the_brokers_service_account_alone_may_use_the_bucket() -> None:
    found = register(lambda: FluxMiniCluster("md", with_bucket()))
    (member,) = [r for r in found.values() if r.typ == MEMBER]
    (account,) = [r for r in found.values() if r.typ == "kubernetes:core/v1:ServiceAccount"]
    (job,) = [r for r in found.values() if r.typ == JOB]
    assert account.inputs["metadata"]["namespace"] == "md-runs"
    assert account.inputs["automountServiceAccountToken"] is False
    name = account.inputs["metadata"]["name"]
    assert pod_spec(job.inputs)["serviceAccountName"] == name
    # The project number and workload pool come from GCP (getProject, getCluster).
    assert member.inputs == {
        "bucket": "hpc-lab-results",
        "role": "roles/storage.objectUser",
        "member": "principal://iam.googleapis.com/projects/123456789012/locations/global/"
        f"workloadIdentityPools/mock-project.svc.id.goog/subject/ns/md-runs/sa/{name}",
    }
    # A new bucket starts without grants: the grant is replaced with it, and the old one goes first
    # (the same member and role are the same binding).
    assert member.depends["bucket"] == {"md-bucket-hpc-lab-results"}
    assert {r._name for r in member.options.replace_with or []} == {"md-bucket-hpc-lab-results"}  # type: ignore[attr-defined]
    assert member.options.delete_before_replace is True
    # The pods start once they may use the bucket.
    assert {"md-bucket-hpc-lab-results-access", "md-service-account"} <= {
        r._name  # type: ignore[attr-defined]
        for r in job.options.depends_on or []  # type: ignore[union-attr]
    }


def test_the_pods_mount_the_bucket_as_their_user_and_get_time_to_upload() -> None:
    found = register(lambda: FluxMiniCluster("md", with_bucket(mountOptions=["implicit-dirs"])))
    (job,) = [r for r in found.values() if r.typ == JOB]
    pod = job.body["spec"]["template"]
    assert pod["metadata"]["annotations"]["gke-gcsfuse/volumes"] == "true"
    (volume,) = [v for v in pod["spec"]["volumes"] if v["name"] == "out"]
    assert volume["csi"] == {
        "driver": "gcsfuse.csi.storage.gke.io",
        "volumeAttributes": {
            "bucketName": "hpc-lab-results",
            "mountOptions": "uid=1000,gid=2000,file-mode=664,dir-mode=775,implicit-dirs",
        },
    }
    assert pod["spec"]["terminationGracePeriodSeconds"] == 120
    assert "hostNetwork" not in pod["spec"]
    (pool,) = [r for r in found.values() if r.typ == "gcp:container/nodePool:NodePool"]
    assert pool.inputs["nodeConfig"]["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}


def test_read_only_mounts_get_a_read_only_grant_and_volume() -> None:
    config = with_bucket(create=False)
    config["miniCluster"]["containers"][0]["volumes"]["out"]["readOnly"] = True
    config["miniCluster"]["pod"]["terminationGracePeriodSeconds"] = 45
    found = register(lambda: FluxMiniCluster("md", config))
    assert [r for r in found.values() if r.typ == BUCKET] == []  # it exists already
    (member,) = [r for r in found.values() if r.typ == MEMBER]
    assert member.inputs["role"] == "roles/storage.objectViewer"
    assert member.inputs["bucket"] == "hpc-lab-results"
    (job,) = [r for r in found.values() if r.typ == JOB]
    (volume,) = [v for v in pod_spec(job.body)["volumes"] if v["name"] == "out"]
    assert volume["csi"]["readOnly"] is True
    assert pod_spec(job.body)["terminationGracePeriodSeconds"] == 45


def test_the_user_service_account_is_the_one_granted() -> None:
    config = with_bucket()
    config["miniCluster"]["pod"]["serviceAccountName"] = "lab-runner"
    found = register(lambda: FluxMiniCluster("md", config))
    assert [r for r in found.values() if r.typ == "kubernetes:core/v1:ServiceAccount"] == []
    (member,) = [r for r in found.values() if r.typ == MEMBER]
    assert member.inputs["member"].endswith("/subject/ns/md-runs/sa/lab-runner")


def test_stacks_without_buckets_are_unchanged() -> None:
    found = register(lambda: FluxMiniCluster("md", copy.deepcopy(CPU_CONFIG)))
    assert not [r for r in found.values() if r.typ in (BUCKET, MEMBER, "kubernetes:core/v1:ServiceAccount")]
    (job,) = [r for r in found.values() if r.typ == JOB]
    assert "serviceAccountName" not in pod_spec(job.body)
    assert "terminationGracePeriodSeconds" not in pod_spec(job.body)
    assert "annotations" not in job.body["spec"]["template"]["metadata"]


def test_where_results_land_is_an_output() -> None:
    _, buckets = run_under_mocks(lambda: FluxMiniCluster("md", with_bucket()).buckets)
    assert buckets == {"results": "gs://hpc-lab-results"}
    _, none = run_under_mocks(lambda: FluxMiniCluster("md", copy.deepcopy(CPU_CONFIG)).buckets)
    assert none == {}


@pytest.mark.parametrize(
    ("pool", "fuse", "says"),
    [
        (None, True, "--workload-pool=PROJECT_ID.svc.id.goog"),
        ("hpc-lab.svc.id.goog", False, "--update-addons GcsFuseCsiDriver=ENABLED"),
    ],
)
def test_a_cluster_that_cannot_mount_buckets_fails_the_preview_with_the_fix(
    pool: str | None, fuse: bool, says: str
) -> None:
    mocks = RecordingMocks(workload_pool=pool, fuse_driver=fuse)
    with pytest.raises(Exception) as raised:
        run_under_mocks(lambda: FluxMiniCluster("md", with_bucket()).buckets, preview=True, mocks=mocks)
    assert "cluster hpc has no" in str(raised.value)
    assert says in str(raised.value)
    assert "Traceback" not in str(raised.value)


def test_render_shows_the_bucket_and_the_grant_without_a_cloud() -> None:
    rendered = {r.name: r for r in rendered_resources(load_spec(with_bucket()))}
    bucket = rendered["experiment-bucket-hpc-lab-results"]
    assert bucket.retain_on_delete and bucket.body["location"] == "US-CENTRAL1"
    member = rendered["experiment-bucket-hpc-lab-results-access"].body["member"]
    assert member == (
        "principal://iam.googleapis.com/projects/<number of project hpc-lab>/locations/global/"
        "workloadIdentityPools/hpc-lab.svc.id.goog/subject/ns/md-runs/sa/lammps-broker"
    )


def test_the_principal_names_the_workload_pools_project() -> None:
    # A cluster in one project may use another project's pool (a fleet host): the grant names that one.
    mocks = RecordingMocks(workload_pool="fleet-host.svc.id.goog")
    run_under_mocks(lambda: FluxMiniCluster("md", with_bucket()).buckets, mocks=mocks)
    asked = [args for token, args in mocks.calls if token == "gcp:organizations/getProject:getProject"]
    assert [args.get("projectId") for args in asked] == ["fleet-host"]
    (member,) = mocks.by_type(MEMBER)
    assert "/workloadIdentityPools/fleet-host.svc.id.goog/" in member.inputs["member"]


def test_an_existing_bucket_without_uniform_access_fails_the_preview_when_written() -> None:
    mocks = RecordingMocks(uniform_bucket_access=False)
    with pytest.raises(Exception) as raised:
        run_under_mocks(lambda: FluxMiniCluster("md", with_bucket(create=False)).buckets, preview=True, mocks=mocks)
    assert "gcloud storage buckets update gs://hpc-lab-results --uniform-bucket-level-access" in str(raised.value)
    # Reading needs no uniform access.
    config = with_bucket(create=False)
    config["miniCluster"]["containers"][0]["volumes"]["out"]["readOnly"] = True
    mocks = RecordingMocks(uniform_bucket_access=False)
    _, buckets = run_under_mocks(lambda: FluxMiniCluster("md", config).buckets, preview=True, mocks=mocks)
    assert buckets == {"results": "gs://hpc-lab-results"}


def test_renaming_the_volume_keeps_the_bucket_and_its_grant() -> None:
    renamed = with_bucket()
    mc = renamed["miniCluster"]
    mc["dataVolumes"] = {"outputs": mc["dataVolumes"].pop("results")}
    mc["containers"][0]["volumes"]["out"]["dataVolume"] = "outputs"
    before = {(r.typ, r.name, json.dumps(r.inputs, sort_keys=True)) for r in register_gcp(with_bucket())}
    after = {(r.typ, r.name, json.dumps(r.inputs, sort_keys=True)) for r in register_gcp(renamed)}
    # The labels name the volume; nothing that identifies the bucket or the grant changes.
    strip = {(typ, name, inputs.replace('"volume": "results"', '"volume": "outputs"')) for typ, name, inputs in before}
    assert strip == after


def test_two_volumes_on_one_bucket_are_refused() -> None:
    config = with_bucket()
    mc = config["miniCluster"]
    mc["dataVolumes"]["again"] = {"bucket": {"name": "hpc-lab-results", "create": False}}
    mc["containers"][0]["volumes"]["again"] = {"path": "/again", "dataVolume": "again"}
    assert problems(config) == [
        "miniCluster.dataVolumes.results.bucket.name: hpc-lab-results is already dataVolumes.again; "
        "mount that volume in more places instead"
    ]


def test_a_buckets_location_and_project_stay_as_created() -> None:
    found = register(lambda: FluxMiniCluster("md", with_bucket()))
    (bucket,) = [r for r in found.values() if r.typ == BUCKET]
    assert sorted(bucket.options.ignore_changes or []) == ["location", "project"]


def test_the_fix_for_a_cluster_names_its_location() -> None:
    mocks = RecordingMocks(workload_pool=None)
    with pytest.raises(Exception) as raised:
        run_under_mocks(lambda: FluxMiniCluster("md", with_bucket()).buckets, preview=True, mocks=mocks)
    assert "gcloud container clusters update hpc --location us-central1-a --workload-pool=" in str(raised.value)


def register_gcp(config: dict[str, Any]) -> list[Any]:
    mocks, _ = run_under_mocks(lambda: FluxMiniCluster("md", config).buckets)
    return [r for r in mocks.resources if r.typ in (BUCKET, MEMBER)]


def diff_of(tmp_path: Path, capsys: pytest.CaptureFixture[str], before: dict[str, Any], after: dict[str, Any]) -> str:
    """``flux-minicluster diff`` between two versions of a stack, as a reviewer reads it."""
    files = []
    for label, config in (("old", before), ("new", after)):
        path = tmp_path / label / "Pulumi.md.yaml"
        path.parent.mkdir()
        values = {f"flux-minicluster:{key}": value for key, value in config.items()}
        path.write_text(yaml.safe_dump({"config": values}))
        files.append(path)
    assert main(["diff", str(files[1]), "--against", str(files[0]), "--summary"]) == 0
    out: str = capsys.readouterr().out
    return out


def test_diff_says_a_new_location_is_not_applied(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    moved = with_bucket(location="EUROPE-WEST4")
    out = diff_of(tmp_path, capsys, with_bucket(), moved)
    assert "no changes" in out
    assert "warning: experiment-bucket-hpc-lab-results: a bucket keeps its location for life" in out


@pytest.mark.parametrize(
    ("keep", "says"),
    [
        (True, "gs://hpc-lab-results stays with its files"),
        (False, "gs://hpc-lab-results and every file in it are deleted"),
    ],
)
def test_diff_says_what_becomes_of_a_renamed_buckets_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], keep: bool, says: str
) -> None:
    before = with_bucket()
    before["miniCluster"]["dataVolumes"]["results"]["keep"] = keep
    after = copy.deepcopy(before)
    after["miniCluster"]["dataVolumes"]["results"]["bucket"]["name"] = "hpc-lab-results-2"
    out = diff_of(tmp_path, capsys, before, after)
    assert "- delete   gcp:storage/bucket:Bucket" in out
    (warning,) = [line for line in out.splitlines() if "gs://hpc-lab-results" in line]
    assert warning.startswith("warning: ") and says in warning


def test_diff_says_the_brokers_lose_access_while_a_grant_is_replaced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    after = with_bucket()
    after["miniCluster"]["containers"][0]["volumes"]["out"]["readOnly"] = True
    out = diff_of(tmp_path, capsys, with_bucket(), after)
    assert "because role" in out
    assert "warning: the brokers cannot use gs://hpc-lab-results from the old grant's removal" in out

"""Evaluate a Pulumi program offline, under the Pulumi SDK's mock engine.

For unit tests of programs that use ``FluxMiniCluster``, and for measuring
what a program costs, with no cloud account and no Pulumi CLI::

    from flux_minicluster.testing import run_under_mocks

    mocks, host = run_under_mocks(lambda: FluxMiniCluster("lammps", config).lead_broker_host)
    assert mocks.one("gcp:container/nodePool:NodePool").inputs["placementPolicy"] == {"type": "COMPACT"}

Each run gets a new event loop and its own mocks (mocks set once per module
warn on Python 3.13 and fail on 3.14), runs with ``preview=False`` so that
applies on computed values execute, and records every registered resource.
The mocks answer what the component reads back: the bytes of
``RandomBytes`` (as a secret, as the engine would) and the endpoint of a GKE
cluster. Inputs are recorded as the engine receives them: camelCase keys,
numbers as floats, secrets wrapped in the engine's secret marker.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import rpc


def secret_value(value: Any) -> dict[str, Any]:
    """A value as the engine returns it when it is secret."""
    return {rpc._special_sig_key: rpc._special_secret_sig, "value": value}


def is_secret_value(value: Any) -> bool:
    """Whether a recorded input arrived marked secret."""
    return isinstance(value, dict) and rpc._special_sig_key in value


#: What every mocked ``RandomBytes`` returns, so certificates are predictable.
RANDOM_BYTES = bytes(range(1, 33))


@dataclass
class Registered:
    """One resource registration: type token, name, inputs, provider reference."""

    typ: str
    name: str
    inputs: dict[str, Any]
    provider: str | None
    custom: bool


@dataclass
class RecordingMocks(pulumi.runtime.Mocks):
    """Returns computed outputs (RandomBytes, getCluster, getProject) and records inputs and invokes."""

    resources: list[Registered] = field(default_factory=list)
    #: What components asked to wait for (their instance coming up), in order.
    waits: list[Any] = field(default_factory=list)
    #: The kubeconfigs of the clusters whose version components checked.
    checks: list[str] = field(default_factory=list)
    #: What getCluster says of the cluster: its Workload Identity pool (None:
    #: off) and whether the Cloud Storage FUSE driver is on.
    workload_pool: str | None = "mock-project.svc.id.goog"
    fuse_driver: bool = True
    #: What getProject says: the project's number.
    project_number: str = "123456789012"
    #: What getBucket says of a bucket that exists: whether it has uniform bucket-level access.
    uniform_bucket_access: bool = True
    #: The invokes programs made, by token, with their arguments.
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        outputs = dict(args.inputs)
        if args.typ == "random:index/randomBytes:RandomBytes":
            # The engine marks these secret (additional_secret_outputs); a
            # mock has to say so itself.
            outputs["base64"] = secret_value(base64.b64encode(RANDOM_BYTES).decode())
            outputs["hex"] = secret_value(RANDOM_BYTES.hex())
        if args.typ.startswith("kubernetes:") and isinstance(outputs.get("metadata"), dict):
            # The API server gives every object a uid; the same one for the same name here.
            outputs["metadata"] = {**outputs["metadata"], "uid": str(uuid.uuid5(uuid.NAMESPACE_URL, args.name))}
        if args.typ == "gcp:container/cluster:Cluster":
            outputs.update(name=args.name, endpoint="203.0.113.20", masterAuth={"clusterCaCertificate": "Q0E="})
        self.resources.append(Registered(args.typ, args.name, dict(args.inputs), args.provider, bool(args.custom)))
        return f"{args.name}-id", outputs

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        self.calls.append((args.token, dict(args.args)))
        if args.token == "gcp:container/getCluster:getCluster":
            cluster = {
                "name": args.args["name"],
                "endpoint": "203.0.113.10",
                "masterAuths": [{"clusterCaCertificate": "Q0EtREFUQQ=="}],
                "workloadIdentityConfigs": [{"workloadPool": self.workload_pool}] if self.workload_pool else [],
                "addonsConfigs": [{"gcsFuseCsiDriverConfigs": [{"enabled": self.fuse_driver}]}],
            }
            return cluster, []
        if args.token == "gcp:storage/getBucket:getBucket":
            bucket = {"name": args.args["name"], "uniformBucketLevelAccess": self.uniform_bucket_access}
            return {**bucket, "location": "US-CENTRAL1", "url": f"gs://{args.args['name']}"}, []
        if args.token == "gcp:organizations/getProject:getProject":
            project = args.args.get("projectId") or "mock-project"
            return {"number": self.project_number, "projectId": project, "id": f"projects/{project}"}, []
        return {}, []

    def by_type(self, typ: str) -> list[Registered]:
        return [r for r in self.resources if r.typ == typ]

    def one(self, typ: str) -> Registered:
        (found,) = self.by_type(typ)
        return found

    def canonical(self) -> str:
        """Every registration as JSON, for byte-for-byte comparison."""
        return json.dumps(
            [(r.typ, r.name, r.inputs) for r in sorted(self.resources, key=lambda r: (r.typ, r.name))],
            sort_keys=True,
            default=str,
        )


class _ClosingPolicy(asyncio.DefaultEventLoopPolicy):
    """Keeps every event loop made while a program runs, to close them after it:
    the mock engine makes one in each of its worker threads, and a loop left to
    the garbage collector can print an error as the interpreter exits."""

    def __init__(self) -> None:
        super().__init__()
        self.loops: list[asyncio.AbstractEventLoop] = []

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        loop = super().new_event_loop()
        loop.set_exception_handler(_unretrieved_left_out)
        self.loops.append(loop)
        return loop

    def close_all(self) -> None:
        for loop in self.loops:
            if not loop.is_running():
                loop.close()


def _unretrieved_left_out(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """A failed program leaves tasks and futures whose error is the one already raised; their
    report would come from a finalizer, at any later point, and formatting its
    traceback there can break the compiler of CPython before 3.11.8 ("AST
    constructor recursion depth mismatch"). Every other report is kept."""
    if not str(context.get("message", "")).endswith("exception was never retrieved"):
        loop.default_exception_handler(context)


def run_under_mocks(
    program: Callable[[], Any],
    config: dict[str, Any] | None = None,
    *,
    project: str = "flux-minicluster",
    secret_keys: list[str] | None = None,
    preview: bool = False,
    waiter: Callable[[Any, Callable[[str], None]], str] | None = None,
    checker: Callable[[str], str] | None = None,
    mocks: RecordingMocks | None = None,
) -> tuple[RecordingMocks, Any]:
    """Run ``program`` in a fresh mock engine; returns the mocks and what it returned,
    with every Output in that value resolved. ``secret_keys`` names the config
    keys that a stack file holds encrypted (``pulumi config set --secret``).

    A component that would watch its instance come up records what it would
    wait for in ``mocks.waits`` and takes it as up; ``waiter`` decides instead
    (it gets the request and a function to report progress with), for
    example to raise ``BringUpError``. A component that checks its cluster's
    Kubernetes version first records the kubeconfig in ``mocks.checks`` and
    takes the cluster as recent; ``checker`` decides instead. ``preview`` runs
    as ``pulumi preview``: nothing is checked or waited for. ``mocks``: fresh
    ``RecordingMocks`` that describe the cloud otherwise (a cluster without
    Workload Identity, say)."""
    policy, previous_policy = _ClosingPolicy(), asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(policy)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    recording = mocks if mocks is not None else RecordingMocks()
    pulumi.runtime.set_mocks(recording, project=project, stack="test", preview=preview)
    pulumi.runtime.set_all_config(
        {key: value if isinstance(value, str) else json.dumps(value) for key, value in (config or {}).items()},
        list(secret_keys or []),
    )
    result: dict[str, Any] = {}

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def evaluate() -> Any:
        value = program()
        result["value"] = value
        return pulumi.Output.from_input(value).apply(lambda resolved: result.__setitem__("resolved", resolved))

    from .component.readiness import Watcher, watching_with

    class Recording(Watcher):
        """No cluster to read: record what would be read, take the cluster as
        recent and the instance as up (unless ``waiter`` says otherwise)."""

        def check(self, kubeconfig: str) -> str:
            recording.checks.append(kubeconfig)
            return checker(kubeconfig) if checker is not None else "1.33"

        def wait(self, request: Any, report: Callable[[str], None]) -> str:
            recording.waits.append(request)
            if waiter is not None:
                return waiter(request, report)
            report("under the mock engine: not watched")
            return "up (mock engine)"

    try:
        with watching_with(Recording()):
            evaluate()
    finally:
        pulumi.runtime.set_all_config({}, [])
        asyncio.set_event_loop(None)
        policy.close_all()
        asyncio.set_event_loop_policy(previous_policy)
    return recording, result.get("resolved")


def evaluate_program(folder: Path, stack: Path | None = None) -> RecordingMocks:
    """Evaluate the Python program of the project in ``folder`` (``__main__.py``,
    in the folder its ``main`` names) under the
    mock engine, with the settings of ``stack`` (a ``Pulumi.<stack>.yaml``;
    encrypted values are left out: only Pulumi can decrypt them)."""
    import runpy

    import yaml

    if not (folder / "Pulumi.yaml").is_file():
        raise FileNotFoundError(f"{folder} holds no Pulumi.yaml: not a Pulumi project")
    project_file = yaml.safe_load((folder / "Pulumi.yaml").read_text(encoding="utf-8"))
    project = project_file["name"]
    program = folder / str(project_file.get("main") or ".") / "__main__.py"
    if not program.is_file():
        raise FileNotFoundError(f"{folder} has no {program.relative_to(folder)}: not a Python Pulumi program")
    config: dict[str, Any] = {}
    if stack is not None:
        settings = (yaml.safe_load(stack.read_text(encoding="utf-8")) or {}).get("config") or {}
        config = {key: value for key, value in settings.items() if not _encrypted(value)}
        config = {(key if ":" in key else f"{project}:{key}"): value for key, value in config.items()}
    mocks, _ = run_under_mocks(lambda: runpy.run_path(str(program), run_name="__main__"), config, project=project)
    return mocks


def _encrypted(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {"secure"}


def main(argv: list[str] | None = None) -> int:
    """``python -m flux_minicluster.testing PROGRAM_FOLDER... [--stack FILE]``:
    evaluate each program offline and list what it declares."""
    import argparse
    import traceback
    from collections import Counter

    parser = argparse.ArgumentParser(
        prog="python -m flux_minicluster.testing",
        description="Evaluate Pulumi programs under the mock engine: no cloud, no Pulumi CLI.",
    )
    parser.add_argument("programs", nargs="+", type=Path, metavar="PROGRAM_FOLDER")
    parser.add_argument("--stack", type=Path, help="a Pulumi.<stack>.yaml whose settings the programs read")
    args = parser.parse_args(argv)
    failed = False
    for folder in args.programs:
        try:
            mocks = evaluate_program(folder, args.stack)
        except Exception as error:  # reported per program, as pulumi preview would
            failed = True
            problems = getattr(error, "problems", None)  # a SpecError: one line per problem
            lines = [str(p) for p in problems] if problems else traceback.format_exception_only(error)[-1:]
            for line in lines:
                print(f"{folder}: failed: {line.strip()}", file=sys.stderr)
            continue
        counts = Counter(r.typ for r in mocks.resources)
        kinds = ", ".join(f"{count} {typ}" for typ, count in sorted(counts.items()))
        print(f"{folder}: {len(mocks.resources)} resources: {kinds}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())


def stack_settings(path: Path) -> dict[str, Any]:
    """A stack file's settings, as Pulumi hands them to the program, with the
    shipped stacks' placeholders (``<your-gke-cluster>``) filled with example
    names (``example-gke-cluster``): for evaluating a shipped stack offline."""
    import yaml

    from .spec.base import is_placeholder

    def filled(value: Any) -> Any:
        if is_placeholder(value):
            return "example-" + str(value)[1:-1].removeprefix("your-")
        if isinstance(value, dict):
            return {key: filled(item) for key, item in value.items()}
        if isinstance(value, list):
            return [filled(item) for item in value]
        return value

    settings = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("config") or {}
    return {key: filled(value) for key, value in settings.items()}

"""``flux-minicluster``: validate a stack and render what it creates, offline.

No cloud account, no Pulumi CLI: the same spec and builders as the Pulumi
program, printed as YAML for review. Every failure is one line per problem
on standard error and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from ..catalog.prices import PRICES_ENV, PriceTableError, price_table
from ..errors import SpecError
from ..gke.streaming import streaming_warnings
from ..stackfile.history import RevisionError, StackText, stack_text_at_revision
from ..stackfile.lookup import STDIN, default_stack
from ..stackfile.reader import StackFile, parse_stack, read_stack
from ..stackfile.schema import stack_file_schema
from .comparison import Side, side_of
from .cost import cost_lines, price_change
from .old_package import PackagePredates, as_exchanged, package_at_revision, package_folder, render_with
from .quota_check import QuotaCheckError, quota_report
from .render import ENCRYPTED, RenderedResource, render_stream, rendered_resources, to_yaml
from .update_plan import describe, plan_update

DEFAULT_STACK = "stacks/Pulumi.lammps-cpu.yaml"
EXIT_INVALID = 2
#: ``diff --exit-code``: something would change (as ``git diff --exit-code``).
EXIT_CHANGES = 1
#: Written into a ``render -o`` folder: the files the command wrote there, so
#: that the next render may replace them and nothing else.
OUTPUT_MANIFEST = ".flux-minicluster-render"
#: Mode of rendered files when they hold the secret key.
SECRET_FILE_MODE = 0o600


class CommandError(Exception):
    """A problem with the command's own arguments (an output folder, ...), not the stack."""


class OutputError(Exception):
    """Standard output refused what the command wrote."""


class _GuardedOutput:
    """Standard output whose write errors say they are about the output."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return int(self._stream.write(text))
        except BrokenPipeError:
            raise
        except OSError as error:
            raise OutputError(error.strerror or str(error)) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as error:
            raise OutputError(error.strerror or str(error)) from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def main(argv: Sequence[str] | None = None) -> int:
    stdout = sys.stdout
    sys.stdout = _GuardedOutput(stdout)
    try:
        args = _parser().parse_args(argv)
        _use_prices(args)
        code = int(args.run(args))
        sys.stdout.flush()
        return code
    except SystemExit as done:  # --help, --version, a usage error
        return done.code if isinstance(done.code, int) else EXIT_INVALID
    except SpecError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return EXIT_INVALID
    except (CommandError, RevisionError, QuotaCheckError) as error:
        print(error, file=sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:
        # The reader went away (render | head): what it read is all it wanted.
        _discard_stdout()
        return 0
    except OutputError as error:
        # Standard output cannot take it (a full disk, /dev/full, a closed descriptor).
        _discard_stdout()
        print(f"flux-minicluster: cannot write the output: {error}", file=sys.stderr)
        return EXIT_INVALID
    finally:
        sys.stdout = stdout


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="flux-minicluster",
        description="Validate a Flux MiniCluster stack and render the objects it creates.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    stack_help = "a stack file, a stack name (looked up in the project's stack folder) or - for standard input"

    render = commands.add_parser("render", help="print every object a stack creates, as YAML")
    render.add_argument("stack", nargs="?", help=f"{stack_help} (default: {DEFAULT_STACK})")
    render.add_argument(
        "-o",
        "--output-dir",
        type=Path,
        help="write one file per object into this folder: a new or empty one, or one an earlier render wrote",
    )
    render.add_argument(
        "--show-secrets",
        action="store_true",
        help="include the CURVE certificate (a freshly generated one unless the stack has its own)",
    )
    _prices_option(render)
    render.set_defaults(run=_render)

    validate = commands.add_parser("validate", help="check stacks; exit 2 with one line per problem")
    validate.add_argument("stacks", nargs="+", metavar="stack", help=stack_help)
    _prices_option(validate)
    validate.add_argument(
        "--check-quota",
        action="store_true",
        help="also compare the quotas each node pool takes with the project's free quota (reads it with gcloud)",
    )
    validate.set_defaults(run=_validate)

    diff = commands.add_parser(
        "diff",
        help="what pulumi up would create, update, replace or delete between two versions of a stack",
        description=(
            "Render a stack as it was (at a git revision, or another stack file) and as it is now, "
            "and print each changed object as a unified diff, then what pulumi up would do to each "
            "resource and why, with a warning when the running instance or a data volume would be lost. "
            "Offline: no credentials, no Pulumi CLI."
        ),
    )
    diff.add_argument("stack", nargs="?", help=f"{stack_help} (default: {DEFAULT_STACK})")
    diff.add_argument(
        "--against",
        required=True,
        metavar="REV_OR_FILE",
        help="the version to compare with: a stack file, else a git revision (HEAD, origin/main, a commit)",
    )
    diff.add_argument(
        "--old-package",
        type=Path,
        metavar="FOLDER",
        help=(
            "render the old side with the package in FOLDER (pip install --target FOLDER flux-minicluster==VERSION); "
            "by default the package as it was at the revision when the repository holds its source, "
            "else the installed one"
        ),
    )
    diff.add_argument("--summary", action="store_true", help="print only what happens to each resource")
    diff.add_argument("--exit-code", action="store_true", help=f"exit {EXIT_CHANGES} when any resource would change")
    _prices_option(diff)
    diff.set_defaults(run=_diff)

    schema = commands.add_parser("schema", help="print the JSON Schema of a stack file")
    schema.set_defaults(run=_schema)
    return parser


def _prices_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--prices",
        metavar="FILE",
        help=f"a price table of your own (negotiated prices), in the form tools/price_table.py writes "
        f"(default: ${PRICES_ENV}, else the packaged list prices)",
    )


def _use_prices(args: argparse.Namespace) -> None:
    """Make ``--prices`` the table every price in this run is read from (maxHourlyCost too)."""
    if getattr(args, "prices", None):
        os.environ[PRICES_ENV] = args.prices
    try:
        price_table()
    except PriceTableError as error:
        raise CommandError(str(error)) from None


def _version() -> str:
    try:
        return metadata.version("flux-minicluster")
    except metadata.PackageNotFoundError:
        return "unknown"


def _render(args: argparse.Namespace) -> int:
    stack = read_stack(args.stack or _default_stack())
    resources = rendered_resources(
        stack.spec,
        show_secrets=args.show_secrets,
        # Only Pulumi can decrypt it: say so rather than show another.
        certificate=ENCRYPTED if "curveCertificate" in stack.encrypted else None,
        encrypted=[text for key, text in stack.encrypted.items() if key != "curveCertificate"],
    )
    costs = _notes(stack)
    if args.output_dir is None:
        sys.stdout.write("".join(f"# {line}\n" for line in costs) + render_stream(resources))
        return 0
    for path in _write_files(args.output_dir, resources, secret=args.show_secrets):
        print(path)
    for line in costs:
        print(line)
    return 0


def _notes(stack: StackFile) -> list[str]:
    """What a reviewer should know besides the objects: settings left to set, price and quotas."""
    unset = [f"warning: {field} {message}" for field, message in sorted(stack.placeholders.items())]
    streaming = [f"warning: nodePool.imageStreaming: {line}" for line in streaming_warnings(stack.spec)]
    return unset + streaming + cost_lines(stack.spec)


def _default_stack() -> str:
    """The default stack of the project this runs in, wherever in it."""
    return default_stack(DEFAULT_STACK)


def _write_files(folder: Path, resources: list[RenderedResource], *, secret: bool) -> list[Path]:
    """One file per resource, in a folder that holds nothing else.

    Files of an earlier render are removed first, so a stack that now creates
    fewer objects leaves none behind; a folder with other files is refused.
    With the secret key shown, every file is readable by its owner only.
    """
    names = [f"{index:02d}-{resource.name}.yaml" for index, resource in enumerate(resources, start=1)]
    try:
        _clear_earlier_render(folder)
        (folder / OUTPUT_MANIFEST).write_text("".join(f"{name}\n" for name in names), encoding="utf-8")
        paths = []
        for name, resource in zip(names, resources, strict=True):
            path = folder / name
            _write(path, to_yaml(resource), SECRET_FILE_MODE if secret else None)
            paths.append(path)
    except OSError as error:
        where = error.filename or folder
        raise CommandError(f"{where}: cannot write: {error.strerror or error}") from None
    return paths


def _clear_earlier_render(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise CommandError(f"{folder}: exists and is not a folder; -o takes a folder")
    if not folder.exists():
        folder.mkdir(parents=True)
        return
    entries = set(os.listdir(folder))
    owned: set[str] = set()
    if OUTPUT_MANIFEST in entries:
        listed = (folder / OUTPUT_MANIFEST).read_text(encoding="utf-8").splitlines()
        owned = {name for name in listed if _is_plain_file(folder, name)} | {OUTPUT_MANIFEST}
    foreign = sorted(entries - owned)
    if foreign:
        shown = ", ".join(foreign[:3]) + (", ..." if len(foreign) > 3 else "")
        raise CommandError(
            f"{folder}: holds files flux-minicluster render did not write ({shown}); give a new or empty folder"
        )
    for name in sorted(owned & entries):
        (folder / name).unlink()


def _is_plain_file(folder: Path, name: str) -> bool:
    """A name the manifest may own: a file right in the folder, nothing above or below it."""
    return bool(name) and Path(name).name == name and name not in (".", "..") and (folder / name).is_file()


def _write(path: Path, text: str, mode: int | None) -> None:
    if mode is None:
        path.write_text(text, encoding="utf-8")
        return
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        os.fchmod(file.fileno(), mode)  # whatever the umask
        file.write(text)


def _validate(args: argparse.Namespace) -> int:
    failed = False
    for stack in args.stacks:
        try:
            read = read_stack(stack)
        except SpecError as error:
            failed = True
            for problem in error.problems:
                print(problem, file=sys.stderr)
        else:
            print(f"{'<stdin>' if stack == STDIN else stack}: valid")
            for line in _notes(read):
                print(f"  {line}")
            if args.check_quota and read.spec.node_pool is not None:
                lines, enough = quota_report(read.spec.node_pool)
                for line in lines:
                    print(f"  {line}")
                failed = failed or not enough
    return EXIT_INVALID if failed else 0


def _diff(args: argparse.Namespace) -> int:
    stack = read_stack(args.stack or _default_stack())
    after_label = "<stdin>" if args.stack == STDIN else str(stack.path)
    with tempfile.TemporaryDirectory(prefix="flux-minicluster-diff-") as scratch:
        before, before_label, rendered_by = _old_side(args, stack, Path(scratch))
    if rendered_by:
        print(f"rendered: {rendered_by}")
    if before is None:
        print(f"{stack.path} is not in {args.against}: every resource is created")
    after = as_exchanged(side_of(stack))
    plan = plan_update(
        before.resources if before else [], after.resources, (before.scale if before else None, after.scale)
    )
    sys.stdout.write(describe(plan, before_label=before_label, after_label=after_label, hunks=not args.summary))
    change = price_change(before.hourly if before else None, after.hourly)
    if change is not None:
        print(change)
    return EXIT_CHANGES if args.exit_code and plan.steps else 0


def _old_side(args: argparse.Namespace, stack: StackFile, scratch: Path) -> tuple[Side | None, str, str]:
    """The old version's resources (``None``: it did not exist), how the output
    names it, and which package rendered each side."""
    installed = f"the installed flux-minicluster {_version()}"
    both = f"both sides by {installed}"
    other = "--old-package FOLDER renders the old side with another version"
    named = package_folder(args.old_package) if args.old_package is not None else None
    if args.against == STDIN or Path(args.against).is_file():
        shown = "<stdin>" if args.against == STDIN else args.against
        if named is None:
            return side_of(read_stack(args.against)), shown, f"{both}; {other}"
        path = Path(args.against)
        old = StackText(sys.stdin.read() if args.against == STDIN else _read_text(path), shown)
    elif args.stack == STDIN:
        raise CommandError("a stack read from standard input has no git history; give --against a stack file")
    else:
        shown = f"{args.against}:{stack.path}"
        found = stack_text_at_revision(stack.path, args.against)
        if found is None:
            return None, shown, ""
        path, old = stack.path, found
        if named is None:
            named = package_at_revision(stack.path, args.against, scratch)
        if named is None:
            held = f"{both}; {args.against} holds no copy of the package ({other})"
            return side_of(parse_stack(old.text, label=old.label, path=path)), shown, held
    try:
        resources = render_with(named, old.text, label=old.label, path=path)
    except PackagePredates:
        too_old = f"{both}; {named.title} is too old to render for a diff ({other})"
        return side_of(parse_stack(old.text, label=old.label, path=path)), shown, too_old
    return resources, shown, f"the old side by {named.title}, the new side by {installed}"


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CommandError(f"{path}: cannot be read: {error}") from None


def _schema(args: argparse.Namespace) -> int:
    json.dump(stack_file_schema(), sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0


def _discard_stdout() -> None:
    """Point standard output at /dev/null, so the interpreter's last flush cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # not a real file (captured output): nothing left to flush

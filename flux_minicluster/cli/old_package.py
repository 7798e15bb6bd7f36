"""The old side of a ``diff``, rendered by the package as it was then.

A change to the package (a new default image, a new builder) changes what a
stack creates as surely as an edit to the stack does. When the stack's
repository holds the package's source (this project, or a program that
vendors it), the old side is rendered by that source as it was at the
revision: ``git archive`` copies it into a temporary folder and a separate
interpreter renders from there (``comparison``), so the work tree and this
process are never touched. A folder holding another version can be named
instead (``--old-package``). Otherwise both sides are rendered by the
installed package, and the command says so.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile
from dataclasses import dataclass, fields
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import Problem, SpecError
from ..stackfile.history import RevisionError, git_output, repository_top
from .comparison import Side
from .render import RenderedResource
from .update_plan import Scale

PACKAGE = "flux_minicluster"
#: How long the other interpreter may take to render one stack (seconds).
RENDER_TIMEOUT = 120
#: Exit status of the other interpreter when its package cannot render for a diff.
_PREDATES = 3
_NOT_LOADED = 4

#: Run by the other interpreter: load the package from the folder given, not
#: the installed one, and hand the request to its ``comparison`` module.
_CHILD = f"""
import sys
from pathlib import Path
root = Path(sys.argv[1]).resolve()
sys.path.insert(0, str(root))
import {PACKAGE}
if not Path({PACKAGE}.__file__).resolve().is_relative_to(root):
    sys.exit({_NOT_LOADED})
try:
    from {PACKAGE}.cli.comparison import main
except ModuleNotFoundError as error:
    if error.name != "{PACKAGE}.cli.comparison":
        raise
    sys.exit({_PREDATES})
sys.exit(main())
"""


class PackagePredates(Exception):
    """That version of the package cannot render a stack for a diff."""


@dataclass(frozen=True)
class OldPackage:
    """A folder holding a copy of the package (``ROOT/flux_minicluster``), and
    how the output names it."""

    root: Path
    title: str


def package_folder(folder: Path) -> OldPackage:
    """``--old-package FOLDER``: a folder the package was installed into
    (``pip install --target``) or a source tree that holds it."""
    if not (folder / PACKAGE / "__init__.py").is_file():
        raise RevisionError(
            f"--old-package {folder}: holds no {PACKAGE}/ package; "
            f"give a folder made by pip install --target FOLDER flux-minicluster==VERSION"
        )
    return OldPackage(folder, f"the package in {folder}")


def package_at_revision(stack_path: Path, revision: str, into: Path) -> OldPackage | None:
    """Copy the package's source at ``revision`` from the stack's repository
    into ``into``; ``None`` when the repository held no copy of it then."""
    folder = stack_path.resolve().parent
    top = repository_top(folder, label=str(stack_path), revision=revision)
    inside = _package_path(top, revision)
    if inside is None:
        return None
    archive = git_output(top, "archive", "--format=tar", revision, "--", inside, binary=True)
    if archive is None:
        return None
    assert isinstance(archive, bytes)
    _extract(archive, inside, into)
    parent = PurePosixPath(inside).parent
    return OldPackage(into / parent, f"the package at {revision} ({inside}/)")


def _package_path(top: Path, revision: str) -> str | None:
    """Where the repository keeps the package at ``revision``: where the
    installed package sits when it sits in this repository, else the
    shallowest copy the revision holds."""
    installed = Path(__file__).resolve().parents[1]
    if installed.is_relative_to(top):
        inside = installed.relative_to(top).as_posix()
        if git_output(top, "cat-file", "-e", f"{revision}:{inside}/__init__.py") is not None:
            return inside
        return None
    listed = git_output(top, "ls-tree", "-r", "--name-only", "-z", revision)
    if not isinstance(listed, str):
        return None
    marker = f"{PACKAGE}/__init__.py"
    found = [
        name[: -len("/__init__.py")] for name in listed.split("\0") if name == marker or name.endswith("/" + marker)
    ]
    return min(found, key=lambda name: (name.count("/"), name)) if found else None


def _extract(archive: bytes, inside: str, into: Path) -> None:
    """Write the archive's regular files under ``inside`` into ``into``."""
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        for member in tar.getmembers():
            name = PurePosixPath(member.name)
            if not member.isfile() or name.is_absolute() or ".." in name.parts:
                continue
            if not name.is_relative_to(inside):
                continue
            target = into.joinpath(*name.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            if source is not None:
                target.write_bytes(source.read())


def render_with(package: OldPackage, text: str, *, label: str, path: Path) -> Side:
    """The stack ``text`` rendered by ``package`` in a separate interpreter.

    Raises ``SpecError`` with that version's own problems when it refuses the
    stack, and ``PackagePredates`` when that version cannot render for a diff.
    """
    request = json.dumps({"text": text, "label": label, "path": str(path)})
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    try:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(package.root)],
            input=request,
            capture_output=True,
            encoding="utf-8",
            env=env,
            timeout=RENDER_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise RevisionError(f"{package.title}: rendered nothing within {RENDER_TIMEOUT} s") from None
    if done.returncode == _PREDATES:
        raise PackagePredates(package.title)
    if done.returncode == _NOT_LOADED:
        raise RevisionError(f"{package.title}: could not be loaded in place of the installed package")
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RevisionError(f"{package.title}: failed to render the old side: {last}")
    answer = json.loads(done.stdout)
    if "problems" in answer:
        raise SpecError([Problem(**problem) for problem in answer["problems"]])
    scale = answer.get("scale")
    resources = [_resource(item) for item in answer["resources"]]
    return Side(resources, Scale(**scale) if scale else None, answer.get("hourly"))


_FIELDS = {field.name for field in fields(RenderedResource)}


def _resource(item: dict[str, Any]) -> RenderedResource:
    """A resource as another version handed it over (fields it does not know left out)."""
    return RenderedResource(**{key: value for key, value in item.items() if key in _FIELDS})


def as_exchanged(side: Side) -> Side:
    """``side`` as it would be after the exchange (JSON's lists and numbers),
    so that both sides of a diff compare alike."""
    resources = [_resource(json.loads(json.dumps(r.__dict__))) for r in side.resources]
    return Side(resources, side.scale, side.hourly)

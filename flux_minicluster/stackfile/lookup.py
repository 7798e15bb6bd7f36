"""Finding a stack file: by path, or by stack name in the project's stack folder."""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from ..errors import Problem, SpecError
from .messages import did_you_mean

#: Names a Pulumi project file may have; the project root is the folder holding one.
PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml")
#: The stack argument that means standard input.
STDIN = "-"


def find_project(start: Path) -> Path | None:
    """The nearest ``Pulumi.yaml`` in ``start`` or a folder above it."""
    start = start.resolve()
    for folder in (start, *start.parents):
        for name in PROJECT_FILES:
            if (folder / name).is_file():
                return folder / name
    return None


def stacks_folder(project_file: Path) -> Path:
    """Where the project keeps its stack files: ``stackConfigDir``, else beside ``Pulumi.yaml``."""
    try:
        settings = yaml.safe_load(project_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        settings = None
    configured = settings.get("stackConfigDir") if isinstance(settings, dict) else None
    return project_file.parent / configured if isinstance(configured, str) else project_file.parent


def resolve_stack(stack: str) -> Path:
    """A stack file's path, from a path or from a stack name such as ``lammps-cpu``.

    A name is looked up in the stack folder of the project this command runs
    in (the nearest folder above with a ``Pulumi.yaml``), wherever that is.
    A path that names the project file, or a stack file that is not there,
    is refused with where the stacks are.
    """
    path = Path(stack)
    if path.name in PROJECT_FILES and path.is_file():
        raise SpecError([Problem("", f"is the Pulumi project file, not a stack{_stacks_hint(path)}", file=stack)])
    if path.suffix in (".yaml", ".yml") or os.sep in stack or path.exists():
        if not path.exists():
            raise SpecError([Problem("", f"no such stack file{_missing_file_hint(path)}", file=stack)])
        return path
    project = find_project(Path.cwd())
    if project is None:
        raise SpecError(
            [Problem("", f"no such file, and no {PROJECT_FILES[0]} here or above to find the stack in", file=stack)]
        )
    folder = stacks_folder(project)
    for suffix in (".yaml", ".yml"):
        candidate = folder / f"Pulumi.{stack}{suffix}"
        if candidate.is_file():
            return Path(os.path.relpath(candidate))
    known = sorted(stack_name(p) for p in folder.glob("Pulumi.*.y*ml"))
    hint = did_you_mean(stack, known) or (f"; stacks there: {', '.join(known)}" if known else "")
    raise SpecError([Problem("", f"no stack of that name in {os.path.relpath(folder)}{hint}", file=stack)])


def stack_name(path: Path) -> str:
    if str(path) == STDIN:
        return "stdin"
    return path.name.removeprefix("Pulumi.").removesuffix(".yaml").removesuffix(".yml")


def default_stack(relative: str) -> str:
    """The project's default stack (``relative`` to the project root), wherever in it this runs."""
    project = find_project(Path.cwd())
    if project is None:
        raise SpecError(
            [
                Problem(
                    "",
                    f"no stack given, and no {PROJECT_FILES[0]} here or above to find the default stack "
                    "in; give a stack file or run this in the project",
                    file=relative,
                )
            ]
        )
    return os.path.relpath(project.parent / relative)


def _stacks_hint(project_file: Path) -> str:
    """Where the project of ``project_file`` keeps its stacks, and their names."""
    folder = stacks_folder(project_file.resolve())
    known = sorted(stack_name(p) for p in folder.glob("Pulumi.*.y*ml"))
    where = os.path.relpath(folder / "Pulumi.STACK.yaml")
    return f"; the project's stacks are {where}" + (f": {', '.join(known)}" if known else "")


def _missing_file_hint(path: Path) -> str:
    """For a stack file named where it is not: the same stack in the project's stack folder."""
    project = find_project(path.parent if path.parent.is_dir() else Path.cwd())
    if project is None:
        return ""
    folder = stacks_folder(project)
    candidate = folder / path.name
    if candidate.is_file() and candidate.resolve() != path.resolve():
        return f"; did you mean {os.path.relpath(candidate)} (the stack {stack_name(candidate)})?"
    return _stacks_hint(project)

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
    """
    path = Path(stack)
    if path.suffix in (".yaml", ".yml") or os.sep in stack or path.exists():
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

"""A stack file as it was at a git revision, read without touching the work tree.

``git show REV:PATH`` reads the committed text; nothing is checked out or
stashed, so an edit in progress is never at risk.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .reader import StackFile, parse_stack


class RevisionError(Exception):
    """The revision or the repository cannot be read (one line, for the user)."""


def stack_at_revision(path: Path, revision: str) -> StackFile | None:
    """The stack at ``revision``, or ``None`` when the file did not exist there."""
    git = shutil.which("git")
    if git is None:
        raise RevisionError(f"--against {revision}: git is not installed; give a stack file to compare with")
    folder = path.resolve().parent
    top = _git(git, folder, "rev-parse", "--show-toplevel")
    if top is None:
        raise RevisionError(f"{path}: not in a git repository; give --against a stack file instead of a revision")
    if _git(git, folder, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}") is None:
        raise RevisionError(f"--against {revision}: neither a stack file nor a git revision")
    inside = path.resolve().relative_to(Path(top.strip()).resolve()).as_posix()
    # The revision exists (checked above): a failure is a file it does not have.
    text = _git(git, folder, "show", f"{revision}:{inside}")
    if text is None:
        return None
    return parse_stack(text, label=f"{revision}:{inside}", path=path)


def _git(git: str, folder: Path, *args: str) -> str | None:
    """Standard output of a git command run in ``folder``, or ``None`` when it fails."""
    try:
        done = subprocess.run([git, *args], cwd=folder, capture_output=True, encoding="utf-8", timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired, UnicodeDecodeError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout

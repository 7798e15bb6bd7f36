"""A stack file as it was at a git revision, read without touching the work tree.

``git show REV:PATH`` reads the committed text; nothing is checked out or
stashed, so an edit in progress is never at risk.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

#: How long one git command may take (seconds).
GIT_TIMEOUT = 60


class RevisionError(Exception):
    """The revision or the repository cannot be read (one line, for the user)."""


@dataclass(frozen=True)
class StackText:
    """A stack file's text at a revision, and the name problems in it are reported under."""

    text: str
    label: str


def stack_text_at_revision(path: Path, revision: str) -> StackText | None:
    """The stack's text at ``revision``, or ``None`` when the file did not exist there."""
    folder = path.resolve().parent
    top = repository_top(folder, label=str(path), revision=revision)
    if git_output(folder, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}") is None:
        raise RevisionError(f"--against {revision}: neither a stack file nor a git revision")
    inside = path.resolve().relative_to(top).as_posix()
    # The revision exists (checked above): a failure is a file it does not have.
    text = git_output(folder, "show", f"{revision}:{inside}")
    if not isinstance(text, str):
        return None
    return StackText(text, f"{revision}:{inside}")


def repository_top(folder: Path, *, label: str, revision: str) -> Path:
    """The top of the git repository ``folder`` is in (``label``: what the user gave)."""
    if shutil.which("git") is None:
        raise RevisionError(f"--against {revision}: git is not installed; give a stack file to compare with")
    top = git_output(folder, "rev-parse", "--show-toplevel")
    if not isinstance(top, str):
        raise RevisionError(f"{label}: not in a git repository; give --against a stack file instead of a revision")
    return Path(top.strip()).resolve()


def git_output(folder: Path, *args: str, binary: bool = False) -> str | bytes | None:
    """Standard output of a git command run in ``folder``, or ``None`` when it fails."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        done = subprocess.run([git, *args], cwd=folder, capture_output=True, timeout=GIT_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    if binary:
        return done.stdout
    try:
        return done.stdout.decode("utf-8")
    except UnicodeDecodeError:
        return None

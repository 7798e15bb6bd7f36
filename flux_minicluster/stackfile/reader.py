"""A stack file -> a validated ``StackConfig``, each problem at the line that writes it.

Besides the settings, the file around them is checked: its top-level keys,
namespaces, keys written twice, secrets in plaintext. Encrypted values are
kept as written; only Pulumi can decrypt them.
"""

from __future__ import annotations

import difflib
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TextIO

import yaml

from ..errors import Problem, SpecError, format_location
from ..spec.stack import CONFIG_NAMESPACE, PLAINTEXT_CERTIFICATE, SECRET_KEYS, StackConfig, config_keys
from .lookup import STDIN, resolve_stack, stack_name
from .messages import closest, did_you_mean
from .placeholders import placeholder_messages
from .secure_values import SECTION, read_secure_values
from .validation import section_from_text, validate_config
from .yamllines import KeyPath, LocatedYaml, TooLarge, error_location, load_located

#: The top-level keys of a Pulumi stack file (``ProjectStack`` in pulumi/pulumi,
#: sdk/go/common/workspace/project.go).
STACK_FILE_KEYS = ("config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment")
#: The longest stack file read (characters): stack files are a few kilobytes,
#: and parsing takes time in proportion to the text.
MAX_STACK_CHARACTERS = 128 * 1024
#: A namespace this close to ours (difflib ratio) is taken for a misspelling of it.
_NAMESPACE_TYPO_RATIO = 0.8


@dataclass(frozen=True)
class StackFile:
    """A stack read from disk: its validated spec and what could not be read offline."""

    name: str
    path: Path
    spec: StackConfig
    #: Settings encrypted with the stack's secrets provider, as written
    #: (ciphertext): only Pulumi can read them.
    encrypted: dict[str, str] = field(default_factory=dict)
    #: Settings left at a shipped stack's placeholder, and how to set them.
    placeholders: dict[str, str] = field(default_factory=dict)


def read_stack(stack: str | Path, *, stdin: TextIO | None = None) -> StackFile:
    """Read and validate a stack file (``-``: standard input); raises ``SpecError``.

    Each problem carries the file and the line of the key it is about.
    """
    if str(stack) == STDIN:
        return parse_stack((stdin or sys.stdin).read(), label="<stdin>", path=Path(STDIN))
    path = resolve_stack(str(stack))
    label = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except IsADirectoryError:
        _fail(label, "is a directory, not a stack file")
    except FileNotFoundError:
        _fail(label, "no such stack file")
    except PermissionError:
        _fail(label, "cannot be read: permission denied")
    except UnicodeDecodeError:
        _fail(label, "is not UTF-8 text")
    except OSError as error:
        _fail(label, f"cannot be read: {error.strerror or error}")
    return parse_stack(text, label=label, path=path)


def parse_stack(text: str, *, label: str, path: Path) -> StackFile:
    """Validate the text of a stack file; ``label`` names it in problems."""
    if len(text) > MAX_STACK_CHARACTERS:
        raise SpecError(
            [
                Problem(
                    "",
                    f"has {len(text):,} characters; a stack file holds at most {MAX_STACK_CHARACTERS:,}",
                    file=label,
                )
            ]
        )
    try:
        source = load_located(text)
    except yaml.YAMLError as error:
        line, column, problem = error_location(error, text)
        raise SpecError(
            [Problem("", f"is not valid YAML: {problem} (column {column})", file=label, line=line)]
        ) from None
    except TooLarge as error:
        raise SpecError([Problem("", f"is refused: {error}", file=label)]) from None
    reader = _StackReader(label, source)
    values, encrypted = reader.config_values()
    spec: StackConfig | None = None
    if values is not None:
        spec, broken = validate_config(values, strict=True)
        for loc, message in broken:
            if len(loc) == 1 and loc[0] in reader.supplied_elsewhere:
                continue  # written under a misspelled namespace: already said
            reader.report(("config", f"{CONFIG_NAMESPACE}:{loc[0]}", *loc[1:]), message, format_location(loc))
    if reader.problems or spec is None:
        raise SpecError(sorted(reader.problems, key=lambda p: (p.line, p.path, p.message)))
    placeholders = placeholder_messages(spec, reader.provider_settings)
    return StackFile(name=stack_name(path), path=path, spec=spec, encrypted=encrypted, placeholders=placeholders)


class _StackReader:
    """The checks of the file around the settings: its shape, keys and namespaces."""

    def __init__(self, label: str, source: LocatedYaml):
        self.label = label
        self.source = source
        self.problems: list[Problem] = []
        #: Sections written where this package does not read them.
        self.supplied_elsewhere: set[str] = set()
        #: Providers' settings (gcp:project), as written.
        self.provider_settings: dict[str, Any] = {}

    def report(self, at: KeyPath, message: str, field_path: str = "") -> None:
        self.problems.append(Problem(field_path, message, file=self.label, line=self.source.line_of(at)))

    def config_values(self) -> tuple[dict[str, Any] | None, dict[str, str]]:
        """This package's settings (``None`` when there is no config to read) and its encrypted ones."""
        for duplicate in self.source.duplicates:
            self.problems.append(
                Problem(
                    _field_name(duplicate.path),
                    f"written twice (first on line {duplicate.first_line}); YAML would keep only this one",
                    file=self.label,
                    line=duplicate.line,
                )
            )
        document = self.source.data
        if document is None:
            self.report((), f"is empty; a stack file needs config: with {CONFIG_NAMESPACE}:miniCluster")
            return None, {}
        if not isinstance(document, dict):
            self.report((), "a stack file is a mapping with a config: key")
            return None, {}
        misplaced = self._top_level_keys(document)
        if "config" not in document:
            if not misplaced:
                self.report((), f"has no config: section; write {CONFIG_NAMESPACE}:miniCluster and the rest under it")
            return None, {}
        config = document["config"] if document["config"] is not None else {}
        if not isinstance(config, dict):
            self.report(("config",), "must be a mapping of namespace:key to value", "config")
            return None, {}
        return self._namespace_values(config)

    def _top_level_keys(self, document: dict[Any, Any]) -> bool:
        sections = config_keys()
        misplaced = False
        for key in document:
            text = str(key)
            if text in STACK_FILE_KEYS:
                continue
            if text in sections or ":" in text:  # a setting: ours, or a provider's (gcp:project)
                misplaced = True
                self.report((text,), "belongs under config: (indent it below a config: line)", text)
            else:
                hint = did_you_mean(text, STACK_FILE_KEYS) or f"; a stack file has {', '.join(STACK_FILE_KEYS)}"
                self.report((text,), f"unknown top-level key{hint}", text)
        return misplaced

    def _namespace_values(self, config: dict[Any, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        sections = config_keys()
        values: dict[str, Any] = {}
        encrypted: dict[str, str] = {}
        for full_key, value in config.items():
            at: KeyPath = ("config", str(full_key))
            namespace, colon, key = str(full_key).partition(":")
            if not colon:
                section = closest(namespace, sections)
                if section is not None:
                    self.supplied_elsewhere.add(section)
                    self.report(at, f"config keys carry a namespace: write {CONFIG_NAMESPACE}:{section}", namespace)
                else:
                    self.report(at, f"config keys are namespace:key, such as {CONFIG_NAMESPACE}:miniCluster", namespace)
                continue
            if namespace != CONFIG_NAMESPACE:
                if difflib.SequenceMatcher(None, namespace, CONFIG_NAMESPACE).ratio() >= _NAMESPACE_TYPO_RATIO:
                    self.supplied_elsewhere.add(key)
                    self.report(
                        at,
                        f"namespace {namespace!r} is not {CONFIG_NAMESPACE!r}; did you mean {CONFIG_NAMESPACE}:{key}?",
                    )
                self.provider_settings[str(full_key)] = value
                continue  # a provider's setting, such as gcp:project
            if isinstance(value, dict) and set(value) == {"secure"}:
                if key not in SECRET_KEYS:
                    self.report(at, "only curveCertificate is read as a secret value", key)
                elif not isinstance(value["secure"], str):
                    self.report((*at, "secure"), "the encrypted value is a string", key)
                else:
                    # Encrypted with the stack's secrets provider: only Pulumi
                    # can read it, so it is checked when the program runs.
                    encrypted[key] = value["secure"]
                continue
            if key in SECRET_KEYS:
                # A secret key in plaintext in a stack file ends up in git.
                self.report(at, PLAINTEXT_CERTIFICATE, key)
                continue
            if isinstance(value, str) and key in sections:
                # pulumi config set KEY '{...}' (without --path) stores the section as JSON text.
                value, problem = section_from_text(key, value)
                if problem is not None:
                    self.report(at, problem, key)
                    self.supplied_elsewhere.add(key)  # said: not also "required"
                    continue
            if key in sections:
                value, ciphertexts, refused = read_secure_values(value, environment=key == SECTION)
                for inside, problem in refused:
                    self.report((*at, *inside), problem, format_location((key, *inside)))
                if refused:
                    self.supplied_elsewhere.add(key)
                    continue
                encrypted.update(ciphertexts)
            values[key] = value
        return values, encrypted


def _field_name(path: KeyPath) -> str:
    """A file path in stack spelling: ``config.flux-minicluster:miniCluster.size`` -> ``miniCluster.size``."""
    if len(path) >= 2 and path[0] == "config" and str(path[1]).startswith(f"{CONFIG_NAMESPACE}:"):
        return format_location((str(path[1]).partition(":")[2], *path[2:]))
    return format_location(path)


def _fail(label: str, message: str) -> NoReturn:
    raise SpecError([Problem("", message, file=label)])

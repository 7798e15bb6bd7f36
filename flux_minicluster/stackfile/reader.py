"""Stack configuration -> ``ExperimentSpec``, for the Pulumi program and offline.

A stack file (``stacks/Pulumi.<stack>.yaml``) keeps this package's settings
under the project's namespace: ``flux-minicluster:miniCluster``,
``flux-minicluster:nodePool``, ``flux-minicluster:operator`` and the secret
``flux-minicluster:curveCertificate``. Other namespaces (``gcp:project``, ...)
belong to providers and are left alone.

Every problem is reported at once, each at the line that writes it: a field
error does not hide the rules that would have run without it, an unknown key
names the closest valid one, and a value of the wrong type says what to write.
"""

from __future__ import annotations

import copy
import difflib
import os
import re
import sys
import types
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, NoReturn, TextIO, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from ..errors import Location, Problem, SpecError, format_location, raise_rule_errors
from ..spec import ExperimentSpec
from ..spec.base import SpecModel
from .yamllines import KeyPath, LocatedYaml, load_located

CONFIG_NAMESPACE = "flux-minicluster"
SECRET_KEYS = frozenset({"curveCertificate"})
PLAINTEXT_CERTIFICATE = (
    "holds a secret key in plaintext; remove it and set it encrypted: "
    f"pulumi config set --secret {CONFIG_NAMESPACE}:curveCertificate < my.cert"
)
#: The top-level keys of a Pulumi stack file (``ProjectStack`` in pulumi/pulumi,
#: sdk/go/common/workspace/project.go).
STACK_FILE_KEYS = ("config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment")
#: Names a Pulumi project file may have; the project root is the folder holding one.
PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml")
#: The stack argument that means standard input.
STDIN = "-"
#: A namespace this close to ours (difflib ratio) is taken for a misspelling of it.
_NAMESPACE_TYPO_RATIO = 0.8
#: Validation passes: each one sets aside the values the previous one refused.
_MAX_PASSES = 5


class KubernetesTarget(SpecModel):
    """The cluster to use when the stack creates no node pool (kind, on-premises)."""

    context: str | None = Field(None, description="kubeconfig context, for example kind-flux.")
    kubeconfig: str | None = Field(None, description="Path of a kubeconfig file.")


class StackConfig(ExperimentSpec):
    """What a stack file says: the experiment, and where to run it."""

    kubernetes: KubernetesTarget | None = Field(
        None, description="Cluster to use when there is no nodePool; never taken silently from your kubeconfig."
    )

    @model_validator(mode="after")
    def _cluster_is_named(self) -> StackConfig:
        if self.node_pool is None and self.kubernetes is None:
            raise_rule_errors(
                "StackConfig",
                [(("kubernetes",), "name the cluster (context, kubeconfig) when the stack declares no nodePool")],
            )
        if self.node_pool is not None and self.kubernetes is not None:
            # The pool would be made on nodePool.cluster and the brokers sent
            # wherever the context points: possibly another cluster.
            raise_rule_errors(
                "StackConfig",
                [
                    (
                        ("kubernetes",),
                        "a stack with nodePool reaches its GKE cluster directly; remove kubernetes "
                        "(or remove nodePool to use a cluster that has its own nodes)",
                    )
                ],
            )
        return self


def config_keys() -> list[str]:
    """The keys this package reads under its namespace, as the stack spells them."""
    return [_key_of(name, info) for name, info in StackConfig.model_fields.items()]


@dataclass(frozen=True)
class StackFile:
    """A stack read from disk: its validated spec and what could not be read offline."""

    name: str
    path: Path
    spec: StackConfig
    #: Settings encrypted with the stack's secrets provider, as written
    #: (ciphertext): only Pulumi can read them.
    encrypted: dict[str, str] = field(default_factory=dict)


# -- validation: every problem at once, in stack spelling --------------------


def spec_from_config(values: dict[str, Any], *, strict: bool = False) -> StackConfig:
    """Validate the values of this package's namespace (keys without the prefix).

    ``strict`` refuses values pydantic would convert (``"4"`` or ``true`` for a
    number), as the stack file schema does.
    """
    spec, broken = validate_config(values, strict=strict)
    if spec is None:
        raise SpecError(sorted(Problem(format_location(loc), message) for loc, message in broken))
    return spec


def validate_config(values: Any, *, strict: bool = False) -> tuple[StackConfig | None, list[tuple[Location, str]]]:
    """The spec, or ``None`` and every problem with its location.

    Pydantic runs a model's rules only when all its fields are valid, so one
    misspelled key would hide every cross-field problem of its section. When
    a pass fails, the values it refused that can be left out (unknown keys,
    settings with a default) are set aside and the rest is validated again,
    keeping the new problems that are not about what was set aside.
    """
    found: dict[tuple[Location, str], None] = {}
    set_aside: list[Location] = []
    data = values
    for _ in range(_MAX_PASSES):
        try:
            spec = StackConfig.model_validate(data, strict=strict)
        except ValidationError as error:
            details = [
                d
                for d in error.errors(include_url=False)
                if not _about(tuple(d["loc"]), set_aside) and not _names_set_aside(d, set_aside)
            ]
            for detail in details:
                found.setdefault((tuple(detail["loc"]), _message(detail)), None)
            data, taken = _without(data, details)
            if not taken:
                break
            set_aside += taken
        else:
            return (None, list(found)) if found else (spec, [])
    return None, list(found)


def _about(loc: Location, set_aside: Iterable[Location]) -> bool:
    """Whether a problem concerns a value set aside: it, inside it, or around it."""
    for taken in set_aside:
        shorter = min(len(loc), len(taken))
        if loc[:shorter] == taken[:shorter]:
            return True
    return False


def _names_set_aside(detail: ErrorDetails, set_aside: Iterable[Location]) -> bool:
    """Whether a rule of the object a value was set aside from speaks of that value:
    it broke because the value is gone (``a and b go together``), not as written."""
    loc = tuple(detail["loc"])
    message = _message(detail)
    for taken in set_aside:
        owner, key = taken[:-1], str(taken[-1])
        if loc[: len(owner)] == owner and re.search(rf"\b{re.escape(key)}\b", message):
            return True
    return False


def _without(data: Any, details: list[ErrorDetails]) -> tuple[Any, list[Location]]:
    """A copy of ``data`` without the refused values a model can do without."""
    data = copy.deepcopy(data)
    taken: list[Location] = []
    for detail in details:
        loc = tuple(detail["loc"])
        if len(loc) < 2 or detail["type"] == "missing":
            continue
        parent = _value_at(data, loc[:-1])
        if not isinstance(parent, dict) or loc[-1] not in parent or not _can_leave_out(loc, detail["type"]):
            continue
        del parent[loc[-1]]
        taken.append(loc)
    return data, taken


def _value_at(data: Any, loc: Location) -> Any:
    for part in loc:
        in_mapping = isinstance(data, dict) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if not (in_mapping or in_list):
            return None
        data = data[part]
    return data


def _can_leave_out(loc: Location, kind: str) -> bool:
    """An unknown key, a setting with a default, or an entry of a plain mapping."""
    parent = _type_at(StackConfig, loc[:-1])
    model = _as_model(parent)
    if model is not None:
        info = _field(model, loc[-1])
        return kind == "extra_forbidden" or (info is not None and not info.is_required())
    if get_origin(parent) is dict:
        return _as_model(get_args(parent)[1]) is None
    return False


def _type_at(root: type[BaseModel], loc: Location) -> Any:
    """The type annotation that validates the value at ``loc``, or ``None``."""
    current: Any = root
    for part in loc:
        current = _unwrap(current)
        model = _as_model(current)
        if model is not None:
            info = _field(model, part)
            if info is None:
                return None
            current = info.annotation
        elif get_origin(current) is list and isinstance(part, int):
            current = get_args(current)[0]
        elif get_origin(current) is dict:
            current = get_args(current)[1]
        else:
            return None
    return _unwrap(current)


def _unwrap(annotation: Any) -> Any:
    """``Annotated[X, ...]`` -> X; ``X | None`` -> X."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, types.UnionType):
            options = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(options) != 1:
                return annotation
            annotation = options[0]
        else:
            return annotation


def _as_model(annotation: Any) -> type[BaseModel] | None:
    annotation = _unwrap(annotation)
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def _field(model: type[BaseModel], key: str | int) -> Any:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info
    return None


def _key_of(name: str, info: Any) -> str:
    return str(info.alias or name)


# What each pydantic type error wants, said in YAML terms.
_WANTED = {
    "string_type": "a string",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "float_type": "a number",
    "float_parsing": "a number",
    "dict_type": "a mapping (key: value lines)",
    "model_type": "a mapping (key: value lines)",
    "model_attributes_type": "a mapping (key: value lines)",
    "list_type": "a list (- item lines, or [a, b])",
}


def _message(detail: ErrorDetails) -> str:
    """Pydantic's error, said so that a user knows what to write."""
    kind, value, loc = detail["type"], detail["input"], tuple(detail["loc"])
    context = detail.get("ctx") or {}
    if kind == "extra_forbidden":
        return _unknown_key(loc)
    if kind == "missing":
        if len(loc) == 1:
            return f"required: add {CONFIG_NAMESPACE}:{loc[0]} under config:"
        return "required"
    if kind == "string_type" and isinstance(value, bool | int | float):
        return (
            f"expects a string, but YAML reads {_yaml_text(value)} as a {_yaml_kind(value)}: "
            "write it as a string: quote it"
        )
    if kind in _WANTED:
        return f"expects {_WANTED[kind]}, not {_describe(value)}"
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(context.get("expected", "")))
        return f"must be one of {', '.join(choices)}, not {_describe(value)}{_did_you_mean(str(value), choices)}"
    if kind == "greater_than_equal":
        return f"must be at least {context.get('ge')}, not {_describe(value)}"
    if kind == "less_than_equal":
        return f"must be at most {context.get('le')}, not {_describe(value)}"
    if kind == "too_short":
        return f"needs at least {context.get('min_length')} item(s)"
    if kind == "string_too_short":
        return "must not be empty"
    message = detail["msg"]
    return message.removeprefix("Value error, ")


def _unknown_key(loc: Location) -> str:
    model = _as_model(_type_at(StackConfig, loc[:-1]))
    if model is None:
        return "unknown key"
    keys = [_key_of(name, info) for name, info in model.model_fields.items()]
    if len(loc) == 1:
        keys = [f"{CONFIG_NAMESPACE}:{key}" for key in keys]
        written = f"{CONFIG_NAMESPACE}:{loc[-1]}"
    else:
        written = str(loc[-1])
    hint = _did_you_mean(written, keys) or _did_you_mean(written, _nested_keys(model))
    return f"unknown key{hint}" if hint else f"unknown key; expected one of {', '.join(sorted(keys))}"


def _nested_keys(model: type[BaseModel]) -> list[str]:
    """Keys one section down, as ``flux.brokerConfig``: for a key written one level too high."""
    keys = []
    for name, info in model.model_fields.items():
        inner = _as_model(info.annotation)
        if inner is not None:
            keys += [f"{_key_of(name, info)}.{_key_of(n, i)}" for n, i in inner.model_fields.items()]
    return keys


def _closest(written: str, choices: Iterable[str]) -> str | None:
    """The choice closest to what was written (difflib, ignoring case), if any is close."""
    by_lower = {choice.lower(): choice for choice in choices}
    close = difflib.get_close_matches(written.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[close[0]] if close else None


def _did_you_mean(written: str, choices: Iterable[str]) -> str:
    close = _closest(written, choices)
    return f"; did you mean {close}?" if close else ""


def _yaml_text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else repr(value)


def _yaml_kind(value: Any) -> str:
    return "boolean" if isinstance(value, bool) else "number"


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool | int | float):
        return f"the {_yaml_kind(value)} {_yaml_text(value)}"
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


# -- finding and reading stack files -----------------------------------------


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
    known = sorted(_stack_name(p) for p in folder.glob("Pulumi.*.y*ml"))
    hint = _did_you_mean(stack, known) or (f"; stacks there: {', '.join(known)}" if known else "")
    raise SpecError([Problem("", f"no stack of that name in {os.path.relpath(folder)}{hint}", file=stack)])


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
    try:
        source = load_located(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        where = f" (column {mark.column + 1})" if mark else ""
        raise SpecError(
            [Problem("", f"is not valid YAML: {problem}{where}", file=label, line=mark.line + 1 if mark else 0)]
        ) from None
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
    return StackFile(name=_stack_name(path), path=path, spec=spec, encrypted=encrypted)


class _StackReader:
    """The checks of the file around the settings: its shape, keys and namespaces."""

    def __init__(self, label: str, source: LocatedYaml):
        self.label = label
        self.source = source
        self.problems: list[Problem] = []
        #: Sections written where this package does not read them.
        self.supplied_elsewhere: set[str] = set()

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
                hint = _did_you_mean(text, STACK_FILE_KEYS) or f"; a stack file has {', '.join(STACK_FILE_KEYS)}"
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
                section = _closest(namespace, sections)
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
            values[key] = value
        return values, encrypted


def _field_name(path: KeyPath) -> str:
    """A file path in stack spelling: ``config.flux-minicluster:miniCluster.size`` -> ``miniCluster.size``."""
    if len(path) >= 2 and path[0] == "config" and str(path[1]).startswith(f"{CONFIG_NAMESPACE}:"):
        return format_location((str(path[1]).partition(":")[2], *path[2:]))
    return format_location(path)


def _stack_name(path: Path) -> str:
    if str(path) == STDIN:
        return "stdin"
    return path.name.removeprefix("Pulumi.").removesuffix(".yaml").removesuffix(".yml")


def _fail(label: str, message: str) -> NoReturn:
    raise SpecError([Problem("", message, file=label)])

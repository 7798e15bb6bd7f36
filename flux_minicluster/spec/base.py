"""What every spec model shares: camelCase keys, no unknown keys, named rules."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    SecretStr,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

DNS_LABEL_MAX = 63
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_QUANTITY = re.compile(
    r"^[+-]?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)
# Kubernetes label keys: an optional DNS-subdomain prefix and a name of up to 63.
_LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
#: Every whole number a stack gives reaches a 32-bit field (Kubernetes' counts,
#: GKE's sizes) or at least Pulumi's numbers, which are doubles.
INT32_MAX = 2**31 - 1

# An image reference, by the grammar of the distribution project's reference
# package (github.com/distribution/reference, regexp.go), which containerd and
# the kubelet parse: [HOST[:PORT]/]PATH[:TAG][@DIGEST], PATH in lower case.
_HOST_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_HOST_PART}(?:\.{_HOST_PART})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?"
_PATH_PART = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_IMAGE_PATH = rf"{_PATH_PART}(?:/{_PATH_PART})*"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_IMAGE_REFERENCE = re.compile(rf"^(?:{_HOST}/)?{_IMAGE_PATH}(?::{_TAG})?(?:@{_DIGEST})?$")
#: The longest repository name (host and path) the reference grammar allows.
IMAGE_NAME_MAX = 255


class SpecModel(BaseModel):
    """Base of every model: keys are camelCase in stacks, unknown keys are errors.

    Validators are built on first use rather than at import: a program
    validates one top-level model, which carries the nested ones inside it.
    Empty defaults are written as ``{}`` and ``[]``; pydantic copies them for
    each instance.
    """

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        validate_default=True,
        defer_build=True,
    )

    @field_validator("*", mode="after")
    @classmethod
    def _whole_numbers_fit_32_bits(cls, value: object, info: ValidationInfo) -> object:
        """Counts, sizes and IDs (settings typed ``int``; quantities such as
        ``10Gi`` are 64-bit and have rules of their own)."""
        counted = info.field_name is not None and cls.model_fields[info.field_name].annotation in (int, int | None)
        if counted and isinstance(value, int) and not -INT32_MAX - 1 <= value <= INT32_MAX:
            raise ValueError(
                f"{value:,} does not fit the 32-bit integers Kubernetes and GKE keep it in (at most {INT32_MAX:,})"
            )
        return value


#: A value a shipped stack leaves for its user to set: ``<your-gke-cluster>``.
_PLACEHOLDER = re.compile(r"^<[^<>]+>$")


def is_placeholder(value: object) -> bool:
    return isinstance(value, str) and _PLACEHOLDER.match(value) is not None


def check_dns_label(value: str) -> str:
    if len(value) > DNS_LABEL_MAX:
        raise ValueError(f"{value!r} is longer than {DNS_LABEL_MAX} characters")
    if not _DNS_LABEL.match(value):
        raise ValueError(
            f"{value!r} is not a DNS-1123 label (lowercase letters, digits and '-', "
            "starting and ending with a letter or digit)"
        )
    return value


def check_image_reference(value: str) -> str:
    """An image the kubelet can pull: ``ghcr.io/org/app:1.0``, ``app``, ``host:5000/app@sha256:...``."""
    if value != value.strip() or any(character.isspace() for character in value):
        raise ValueError(f"{value!r} has whitespace; an image reference has none")
    if not value.isascii():
        raise ValueError(f"{value!r} has characters outside ASCII; an image reference is ASCII only")
    if not _IMAGE_REFERENCE.match(value):
        if _IMAGE_REFERENCE.match(_lower_path(value)):
            raise ValueError(f"{value!r}: the repository path must be lower case, as in {_lower_path(value)!r}")
        raise ValueError(
            f"{value!r} is not an image reference: REGISTRY/PATH[:TAG][@DIGEST] with PATH in lower case, "
            "for example ghcr.io/org/app:1.0"
        )
    name = value.split("@")[0]
    if ":" in name.rsplit("/", 1)[-1]:
        name = name.rsplit(":", 1)[0]
    if len(name) > IMAGE_NAME_MAX:
        raise ValueError(f"the repository name has {len(name)} characters; at most {IMAGE_NAME_MAX}")
    return value


def _lower_path(value: str) -> str:
    """``value`` with its repository path (not its host, tag or digest) in lower case."""
    rest, at, digest = value.partition("@")
    first, slash, remainder = rest.partition("/")
    host_like = slash and ("." in first or ":" in first or first == "localhost" or first != first.lower())
    head, path = (first + "/", remainder) if host_like else ("", rest)
    last_slash = path.rfind("/")
    colon = path.find(":", last_slash + 1)
    path = path[:colon].lower() + path[colon:] if colon >= 0 else path.lower()
    return head + path + at + digest


def check_quantity(value: str | int | float) -> str | int | float:
    if isinstance(value, bool) or not _QUANTITY.match(str(value)):
        raise ValueError(f"{value!r} is not a Kubernetes quantity (for example 4, 500m, 16Gi)")
    return value


def check_label_key(value: str) -> str:
    prefix, _, name = value.rpartition("/")
    if prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        raise ValueError(f"label key {value!r}: prefix must be a DNS subdomain")
    if not name or len(name) > DNS_LABEL_MAX or not _LABEL_NAME.match(name):
        raise ValueError(f"label key {value!r}: name must be 1-63 alphanumerics, '-', '_' or '.'")
    return value


def check_label_value(value: str) -> str:
    if len(value) > DNS_LABEL_MAX or not _LABEL_NAME.match(value):
        raise ValueError(f"label value {value!r}: at most 63 alphanumerics, '-', '_' or '.'")
    return value


#: Keys and values of a pod's annotations together (TotalAnnotationSizeLimitB).
ANNOTATIONS_MAX_BYTES = 256 * 1024
DNS_SUBDOMAIN_MAX = 253


def check_annotations(annotations: dict[str, str]) -> dict[str, str]:
    for key in annotations:
        # ValidateAnnotations reads keys as qualified names, case ignored.
        check_label_key(key.lower())
    total = sum(len(key.encode()) + len(value.encode()) for key, value in annotations.items())
    if total > ANNOTATIONS_MAX_BYTES:
        raise ValueError(f"keys and values take {total:,} bytes; Kubernetes allows {ANNOTATIONS_MAX_BYTES:,}")
    return annotations


def check_object_name(value: str) -> str:
    """The name of a Kubernetes object (a claim, Secret, ConfigMap, StorageClass): a DNS subdomain."""
    if len(value) > DNS_SUBDOMAIN_MAX or not _DNS_SUBDOMAIN.match(value):
        raise ValueError(f"{value!r} is not a Kubernetes object name (lowercase DNS subdomain, at most 253)")
    return value


def label_syntax_problems(key: str, value: str, *, key_required: bool) -> list[tuple[tuple[str], str]]:
    """What Kubernetes refuses in a key and value written with label syntax
    (a toleration's, a taint's); an empty value, and an empty key unless
    ``key_required``, are left to the caller's rules."""
    problems: list[tuple[tuple[str], str]] = []
    for field, text, check in (("key", key, check_label_key), ("value", value, check_label_value)):
        if text or (field == "key" and key_required):
            try:
                check(text)
            except ValueError as error:
                problems.append(((field,), str(error)))
    return problems


def check_labels(labels: dict[str, str]) -> dict[str, str]:
    for key, value in labels.items():
        check_label_key(key)
        check_label_value(value)
    return labels


def check_absolute_path(value: str) -> str:
    if not value.startswith("/"):
        raise ValueError(f"{value!r} must be an absolute path")
    return value


DnsLabel = Annotated[str, AfterValidator(check_dns_label)]


def _quantity_input(value: object) -> object:
    """A quantity as YAML writes it (``4``, ``0.5``, ``500m``), refused as a whole otherwise."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        shown = "true or false" if isinstance(value, bool) else type(value).__name__
        raise ValueError(f"expects a Kubernetes quantity (for example 4, 0.5, 500m, 16Gi), not {shown}")
    return value


#: ``cpu: 0.5`` is a quantity as Kubernetes reads it; kept as written.
Quantity = Annotated[str | int | float, BeforeValidator(_quantity_input), AfterValidator(check_quantity)]
Labels = Annotated[dict[str, str], AfterValidator(check_labels)]
AbsolutePath = Annotated[str, AfterValidator(check_absolute_path)]
ImageReference = Annotated[str, AfterValidator(check_image_reference)]
ObjectName = Annotated[str, AfterValidator(check_object_name)]
Annotations = Annotated[dict[str, str], AfterValidator(check_annotations)]


def _text_or_secret(value: object, handler: ValidatorFunctionWrapHandler) -> object:
    """An environment value: text as written, or a secret (``SecretStr``) kept as one."""
    if isinstance(value, SecretStr | str):
        return value
    raise PydanticCustomError("string_type", "Input should be a valid string")


#: A container's environment value: a secret when it came encrypted.
EnvironmentValue = Annotated[str | SecretStr, WrapValidator(_text_or_secret)]

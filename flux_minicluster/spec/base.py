"""What every spec model shares: camelCase keys, no unknown keys, named rules."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict
from pydantic.alias_generators import to_camel

DNS_LABEL_MAX = 63
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_QUANTITY = re.compile(
    r"^[+-]?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"
)
# Kubernetes label keys: an optional DNS-subdomain prefix and a name of up to 63.
_LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


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


def check_dns_label(value: str) -> str:
    if len(value) > DNS_LABEL_MAX:
        raise ValueError(f"{value!r} is longer than {DNS_LABEL_MAX} characters")
    if not _DNS_LABEL.match(value):
        raise ValueError(
            f"{value!r} is not a DNS-1123 label (lowercase letters, digits and '-', "
            "starting and ending with a letter or digit)"
        )
    return value


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

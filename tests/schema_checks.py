"""Checks of rendered objects against real schemas.

Core objects go through kubernetes-validate (strict: unknown fields fail).
The MiniCluster goes through the CRD's openAPIV3Schema, and, because a
structural schema does not reject unknown fields but the API server silently
prunes them, every field it carries must also be declared.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import kubernetes_validate
from conftest import KUBERNETES_VERSION


def validate_core_object(body: dict[str, Any]) -> None:
    kubernetes_validate.validate(body, KUBERNETES_VERSION, strict=True)


def undeclared_fields(value: Any, schema: dict[str, Any], path: str = "") -> list[str]:
    """Fields the API server would prune: not declared and not preserved."""
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return []
    found: list[str] = []
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties")
        for key, item in value.items():
            if key in properties:
                found += undeclared_fields(item, properties[key], f"{path}.{key}")
            elif isinstance(extra, dict):
                found += undeclared_fields(item, extra, f"{path}.{key}")
            else:
                found.append(f"{path}.{key}")
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            found += undeclared_fields(item, schema["items"], f"{path}[{index}]")
    return found


def validate_minicluster(body: dict[str, Any], crd_schema: dict[str, Any]) -> None:
    jsonschema.validate(body, crd_schema)
    # metadata is validated by the API server itself, not by the CRD schema.
    pruned = undeclared_fields({k: v for k, v in body.items() if k != "metadata"}, crd_schema)
    assert pruned == [], f"fields the API server would drop: {pruned}"

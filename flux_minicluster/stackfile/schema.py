"""The JSON Schema of a stack file as written: ``config:`` and its namespaced keys.

Editors (through yaml-language-server) and CI check a stack file against it
before anything runs. It accepts what ``flux-minicluster validate`` reads:
this package's keys under ``flux-minicluster:``, the encrypted ``secure:``
form of the certificate, any provider's ``namespace:key``, and the other
top-level keys of a Pulumi stack file. Rules across fields (compact
placement, GPU types, ...) are beyond a schema; ``validate`` checks them.
"""

from __future__ import annotations

import re
from typing import Any

from ..spec.stack import CONFIG_NAMESPACE, SECRET_KEYS, StackConfig

DIALECT = "https://json-schema.org/draft/2020-12/schema"

#: What the other top-level keys of a Pulumi stack file hold.
_PULUMI_KEYS: dict[str, dict[str, Any]] = {
    "secretsprovider": {
        "title": "Secrets provider",
        "type": "string",
        "description": "The secrets provider that encrypts this stack's secrets (set by pulumi stack init).",
    },
    "encryptedkey": {
        "title": "Encrypted key",
        "type": "string",
        "description": "The stack's data key, encrypted by the secrets provider.",
    },
    "encryptionsalt": {
        "title": "Encryption salt",
        "type": "string",
        "description": "Salt of the passphrase secrets provider.",
    },
    "environment": {"title": "Environment", "description": "Pulumi ESC environments this stack imports."},
}


def stack_file_schema() -> dict[str, Any]:
    """The schema, with every definition it refers to."""
    settings = StackConfig.model_json_schema(by_alias=True)
    definitions = settings.pop("$defs", {})
    for definition in definitions.values():
        _title_properties(definition)
    # A container's environment value is text, or encrypted (pulumi config set --secret --path).
    definitions["Container"]["properties"]["environment"]["additionalProperties"] = _secure_or_plain({"type": "string"})
    _title_properties(settings)
    properties = {}
    for key, prop in settings["properties"].items():
        prop = _describe_section(prop, definitions)
        if key in SECRET_KEYS:
            prop = _secure_or_plain(prop)
        properties[f"{CONFIG_NAMESPACE}:{key}"] = prop
    config = {
        "title": "Config",
        "description": (
            f"namespace:key settings: this package's under {CONFIG_NAMESPACE}:, providers' under theirs "
            "(gcp:project, kubernetes:context, ...)."
        ),
        "type": "object",
        "properties": properties,
        "patternProperties": {
            rf"^(?!{re.escape(CONFIG_NAMESPACE)}:)[^:]+:.+$": {
                "description": "A provider's setting, such as gcp:project."
            }
        },
        "additionalProperties": False,
        "required": [f"{CONFIG_NAMESPACE}:{key}" for key in settings.get("required", [])],
        # StackConfig's rule: without a node pool, the cluster must be named.
        "anyOf": [
            {"required": [f"{CONFIG_NAMESPACE}:nodePool"]},
            {"required": [f"{CONFIG_NAMESPACE}:kubernetes"]},
        ],
    }
    return {
        "$schema": DIALECT,
        "title": f"{CONFIG_NAMESPACE} stack file (Pulumi.<stack>.yaml)",
        "description": "One experiment: a Flux MiniCluster, the node pool it runs on and the operator install.",
        "type": "object",
        "properties": {"config": config, **_PULUMI_KEYS},
        "required": ["config"],
        "additionalProperties": False,
        "$defs": definitions,
    }


def _title_properties(schema: dict[str, Any]) -> None:
    """Title each property as a sentence made of its key: ``maxSize`` -> ``Max size``."""
    for key, prop in schema.get("properties", {}).items():
        words = re.sub(r"(?<=[a-z0-9])([A-Z])", r" \1", key).lower()
        prop["title"] = words[:1].upper() + words[1:]


def _describe_section(prop: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    """A section that only refers to its model takes the model's description."""
    reference = prop.get("$ref", "")
    if "description" in prop or not reference.startswith("#/$defs/"):
        return prop
    description = definitions[reference.removeprefix("#/$defs/")].get("description")
    return {**prop, "description": description} if description else prop


def _secure_or_plain(prop: dict[str, Any]) -> dict[str, Any]:
    """A secret is plain text or, as ``pulumi config set --secret`` writes it, ``{secure: ...}``."""
    plain = {k: v for k, v in prop.items() if k not in ("title", "description", "default")}
    secure = {
        "type": "object",
        "properties": {"secure": {"type": "string", "description": "The value, encrypted by the secrets provider."}},
        "required": ["secure"],
        "additionalProperties": False,
    }
    kept = {k: v for k, v in prop.items() if k in ("title", "description", "default")}
    return {**kept, "anyOf": [plain, secure]}

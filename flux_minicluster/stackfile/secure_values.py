"""Encrypted values inside a section: the containers' secret environment variables.

``pulumi config set --secret --path 'miniCluster.containers[0].environment.TOKEN'``
writes ``TOKEN: {secure: CIPHERTEXT}`` into the stack file. Pulumi then hands
the whole ``miniCluster`` section to the program as one secret, decrypted,
without saying which values were encrypted; so once a section holds one,
every environment variable in it is kept secret, offline and in ``pulumi up``
alike. Offline the ciphertext stands in for the value: only Pulumi can decrypt it.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import SecretStr

from ..errors import format_location
from .yamllines import KeyPath

#: The section whose containers may hold secret variables.
SECTION = "miniCluster"
#: The key Pulumi writes an encrypted value under.
SECURE = "secure"
ONLY_HERE = "only curveCertificate and containers' environment values are read as secret values"


def is_secure(value: Any) -> bool:
    return isinstance(value, dict) and set(value) == {SECURE}


def read_secure_values(
    section: Any, *, environment: bool = True
) -> tuple[Any, dict[str, str], list[tuple[KeyPath, str]]]:
    """The ``miniCluster`` section with its environment values as secrets when
    any value in it is encrypted; the ciphertexts by field path
    (``miniCluster.containers[0].environment.TOKEN``); and each encrypted
    value found where none is read (path in the section, problem), which
    leaves the section unread. ``environment``: the section is ``miniCluster``,
    whose containers' environment values may be encrypted."""
    refused: list[tuple[KeyPath, str]] = []
    found: dict[str, str] = {}
    _find(section, (), found, refused, environment)
    if not found or refused:
        return section, {}, refused
    section = copy.deepcopy(section)
    ciphertexts: dict[str, str] = {}
    for container_index, container in _containers(section):
        variables = container.get("environment")
        if not isinstance(variables, dict):
            continue
        for name, value in variables.items():
            if is_secure(value):
                text = value[SECURE]
                field = format_location((SECTION, "containers", container_index, "environment", str(name)))
                ciphertexts[field] = text
                variables[name] = SecretStr(text)
    return (keep_environment_secret(section) if ciphertexts else section), ciphertexts, refused


def keep_environment_secret(section: Any) -> Any:
    """``section`` with every container's environment values as secrets (a
    section Pulumi hands over as a secret)."""
    section = copy.copy(section)
    if not isinstance(section, dict) or not isinstance(section.get("containers"), list):
        return section
    containers = []
    for container in section["containers"]:
        if isinstance(container, dict) and isinstance(container.get("environment"), dict):
            container = {
                **container,
                "environment": {
                    name: SecretStr(value) if isinstance(value, str) else value
                    for name, value in container["environment"].items()
                },
            }
        containers.append(container)
    section["containers"] = containers
    return section


def _containers(section: Any) -> list[tuple[int, dict[str, Any]]]:
    if not isinstance(section, dict) or not isinstance(section.get("containers"), list):
        return []
    return [(index, c) for index, c in enumerate(section["containers"]) if isinstance(c, dict)]


def _is_environment_value(path: KeyPath) -> bool:
    return len(path) == 4 and path[0] == "containers" and isinstance(path[1], int) and path[2] == "environment"


def _find(
    value: Any, path: KeyPath, found: dict[str, str], refused: list[tuple[KeyPath, str]], environment: bool
) -> None:
    if is_secure(value):
        if not (environment and _is_environment_value(path)):
            refused.append((path, ONLY_HERE))
        elif not isinstance(value[SECURE], str):
            refused.append(((*path, SECURE), "the encrypted value is a string"))
        else:
            found[format_location(path)] = value[SECURE]
        return
    if isinstance(value, dict):
        for key, item in value.items():
            _find(item, (*path, str(key)), found, refused, environment)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _find(item, (*path, index), found, refused, environment)

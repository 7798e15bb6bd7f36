"""Settings a shipped stack leaves for its user: ``<your-gke-cluster>``.

The stacks in this repository name no real cluster or project. ``validate``
and ``render`` work with the placeholders (the objects are the same) and say
what to set; ``pulumi preview`` and ``pulumi up`` refuse to start until it is set.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..spec.base import is_placeholder
from ..spec.stack import CONFIG_NAMESPACE, StackConfig

#: Provider settings the shipped stacks leave as placeholders.
PROVIDER_KEYS = ("gcp:project",)


def placeholder_messages(spec: StackConfig, provider_settings: Mapping[str, object]) -> dict[str, str]:
    """Each setting still at a placeholder, and how to set it."""
    found: dict[str, str] = {}
    if spec.node_pool is not None:
        for field, value in spec.node_pool.placeholders.items():
            found[field] = (
                f"is {value}, a placeholder: set yours with pulumi config set --path {CONFIG_NAMESPACE}:{field} VALUE"
            )
    for key in PROVIDER_KEYS:
        setting = provider_settings.get(key)
        if is_placeholder(setting):
            found[key] = f"is {setting}, a placeholder: set yours with pulumi config set {key} VALUE"
    return found

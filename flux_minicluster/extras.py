"""Which optional install (``pip install 'flux-minicluster[EXTRA]'``) a module needs.

The offline command needs none; the Pulumi component needs the ``pulumi``
extra, GKE node pools and buckets the ``gke`` extra. A missing one is an
``ImportError`` that says which to install, not a bare ``No module named``.
"""

from __future__ import annotations

from importlib import import_module

#: The packages each extra brings, as imported.
EXTRAS = {
    "pulumi": ("pulumi", "pulumi_kubernetes", "pulumi_random"),
    "gke": ("pulumi_gcp",),
}
_NEEDED_FOR = {
    "pulumi": "the Pulumi component (FluxMiniCluster) and the stack program",
    "gke": "GKE node pools and Cloud Storage buckets",
}


def require(extra: str) -> None:
    """Import the packages of ``extra``; raise ``ModuleNotFoundError`` naming the install when one is missing."""
    for module in EXTRAS[extra]:
        try:
            import_module(module)
        except ModuleNotFoundError as error:
            if error.name is None or error.name.split(".")[0] != module:
                raise
            raise ModuleNotFoundError(
                f"{_NEEDED_FOR[extra]} need {module.replace('_', '-')}: pip install 'flux-minicluster[{extra}]'",
                name=module,
            ) from None

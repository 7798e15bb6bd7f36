"""The offline ``flux-minicluster`` command: validate a stack, render what it
creates, and predict what ``pulumi up`` would do to a running instance. No
cloud account, no Pulumi: the same spec and builders as the component."""

from .main import main

__all__ = ["main"]

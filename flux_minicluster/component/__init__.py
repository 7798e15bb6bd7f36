"""The Pulumi adapter: the ``FluxMiniCluster`` and ``FluxOperator`` components,
the stack program, the multi-language provider and the typed outputs. The
only layer that imports Pulumi; it turns what the builders describe into
resources, with the options ``lifecycle.py`` gives each one."""

from ..extras import require

require("pulumi")

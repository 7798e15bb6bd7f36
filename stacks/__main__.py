"""The experiment program: ``pulumi up`` with a stack from this folder."""

from flux_minicluster.component.program import run

run()

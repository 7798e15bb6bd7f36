"""The experiment program: ``pulumi up`` with a stack from this folder."""

from flux_minicluster.program import run

run()

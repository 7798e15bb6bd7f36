"""The flux-minicluster component provider: what ``pulumi package add`` runs.

Pulumi starts it with the engine's address; it serves ``FluxMiniCluster`` to
programs in TypeScript, Go, C#, Java and YAML (see ``flux_minicluster.component.provider``).
"""

from flux_minicluster.component.provider import serve

if __name__ == "__main__":
    serve()

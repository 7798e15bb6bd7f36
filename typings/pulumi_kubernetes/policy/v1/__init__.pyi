from typing import Any

import pulumi

class PodDisruptionBudget(pulumi.CustomResource):
    def __init__(self, resource_name: str, opts: pulumi.ResourceOptions | None = None, **kwargs: Any) -> None: ...
    @property
    def metadata(self) -> pulumi.Output[Any]: ...

from typing import Any

import pulumi

class CustomResource(pulumi.CustomResource):
    def __init__(
        self,
        resource_name: str,
        api_version: str,
        kind: str,
        spec: Any = None,
        metadata: Any = None,
        opts: pulumi.ResourceOptions | None = None,
        **kwargs: Any,
    ) -> None: ...

import pulumi

class RandomBytes(pulumi.CustomResource):
    def __init__(
        self,
        resource_name: str,
        opts: pulumi.ResourceOptions | None = None,
        *,
        length: pulumi.Input[int],
        keepers: pulumi.Input[dict[str, pulumi.Input[str]]] | None = None,
    ) -> None: ...
    @property
    def base64(self) -> pulumi.Output[str]: ...

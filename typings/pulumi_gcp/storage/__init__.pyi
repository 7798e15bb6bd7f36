from typing import Any

import pulumi

class Bucket(pulumi.CustomResource):
    def __init__(self, resource_name: str, opts: pulumi.ResourceOptions | None = None, **kwargs: Any) -> None: ...
    @property
    def name(self) -> pulumi.Output[str]: ...
    @property
    def url(self) -> pulumi.Output[str]: ...

class BucketIAMMember(pulumi.CustomResource):
    def __init__(
        self,
        resource_name: str,
        opts: pulumi.ResourceOptions | None = None,
        bucket: pulumi.Input[str] | None = None,
        member: pulumi.Input[str] | None = None,
        role: pulumi.Input[str] | None = None,
    ) -> None: ...
    @property
    def id(self) -> pulumi.Output[str]: ...

class GetBucketResult:
    @property
    def name(self) -> str: ...
    @property
    def uniform_bucket_level_access(self) -> bool: ...

def get_bucket_output(
    name: pulumi.Input[str | None] = None,
    project: pulumi.Input[str | None] = None,
    opts: pulumi.InvokeOutputOptions | None = None,
) -> pulumi.Output[GetBucketResult]: ...

from collections.abc import Sequence
from typing import Any

import pulumi

from . import outputs as outputs

class NodePool(pulumi.CustomResource):
    def __init__(self, resource_name: str, opts: pulumi.ResourceOptions | None = None, **kwargs: Any) -> None: ...
    @property
    def name(self) -> pulumi.Output[str]: ...

class Cluster(pulumi.CustomResource):
    def __init__(self, resource_name: str, opts: pulumi.ResourceOptions | None = None, **kwargs: Any) -> None: ...
    @property
    def id(self) -> pulumi.Output[str]: ...
    @property
    def name(self) -> pulumi.Output[str]: ...

class GetClusterResult:
    @property
    def name(self) -> str: ...
    @property
    def endpoint(self) -> str: ...
    @property
    def master_auths(self) -> Sequence[outputs.GetClusterMasterAuthResult]: ...
    @property
    def workload_identity_configs(self) -> Sequence[outputs.GetClusterWorkloadIdentityConfigResult]: ...
    @property
    def addons_configs(self) -> Sequence[outputs.GetClusterAddonsConfigResult]: ...

def get_cluster_output(
    location: pulumi.Input[str | None] = None,
    name: pulumi.Input[str | None] = None,
    project: pulumi.Input[str | None] = None,
    opts: pulumi.InvokeOutputOptions | None = None,
) -> pulumi.Output[GetClusterResult]: ...

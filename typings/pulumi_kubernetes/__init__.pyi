import pulumi

from . import apiextensions as apiextensions
from . import batch as batch
from . import core as core
from . import meta as meta
from . import policy as policy

class Provider(pulumi.ProviderResource):
    def __init__(
        self,
        resource_name: str,
        opts: pulumi.ResourceOptions | None = None,
        *,
        cluster_identifier: pulumi.Input[str] | None = None,
        context: pulumi.Input[str] | None = None,
        kubeconfig: pulumi.Input[str] | None = None,
        namespace: pulumi.Input[str] | None = None,
    ) -> None: ...

import pulumi

class GetProjectResult:
    @property
    def number(self) -> str: ...
    @property
    def project_id(self) -> str: ...

def get_project_output(
    project_id: pulumi.Input[str | None] = None,
    opts: pulumi.InvokeOutputOptions | None = None,
) -> pulumi.Output[GetProjectResult]: ...

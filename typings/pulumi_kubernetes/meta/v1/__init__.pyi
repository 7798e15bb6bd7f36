from typing import Any

class ObjectMetaArgs:
    def __init__(self, **kwargs: Any) -> None: ...

"""YAML read with the line of every key, so a problem can point where it is written.

``yaml.safe_load`` forgets where things are and silently keeps the last of two
equal keys. Composing the node tree first keeps both: the line of each key
(and list item), and every key written twice in one mapping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Duplicate:
    """A key written twice in one mapping: YAML keeps only the last value."""

    path: KeyPath
    line: int
    first_line: int


@dataclass(frozen=True)
class LocatedYaml:
    """The data of one YAML document and the line (1-based) of each key in it."""

    data: Any
    lines: dict[KeyPath, int] = field(default_factory=dict)
    duplicates: list[Duplicate] = field(default_factory=list)

    def line_of(self, path: KeyPath) -> int:
        """The line of ``path``, else of its nearest parent written in the file; 0 if none."""
        for end in range(len(path), 0, -1):
            prefix = path[:end]
            line = self.lines.get(prefix) or self.lines.get(tuple(str(part) for part in prefix))
            if line:
                return line
        return 0


def load_located(text: str) -> LocatedYaml:
    """Parse one YAML document; raises ``yaml.YAMLError`` as ``yaml.safe_load`` does."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    located = LocatedYaml(data)
    if node is not None:
        _walk(node, (), located, set())
    return located


def _walk(node: yaml.Node, path: KeyPath, located: LocatedYaml, ancestors: set[int]) -> None:
    if id(node) in ancestors:  # a recursive alias
        return
    ancestors = ancestors | {id(node)}
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.value == "<<":
                continue
            key, line = key_node.value, key_node.start_mark.line + 1
            if key in seen:
                located.duplicates.append(Duplicate((*path, key), line, seen[key]))
                continue
            seen[key] = line
            located.lines[(*path, key)] = line
            _walk(value_node, (*path, key), located, ancestors)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            located.lines[(*path, index)] = item.start_mark.line + 1
            _walk(item, (*path, index), located, ancestors)
